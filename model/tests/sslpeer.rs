use proptest::prelude::*;

proptest! {
    #[test]
    fn the_matcher_never_panics(dn in ".{0,80}", filter in "[A-Za-z=,;\" *\\\\.]{0,60}") {
        let _ = model::sslpeer::matches(&dn, &filter);
    }

    #[test]
    fn a_dn_built_of_known_attributes_matches_itself(cn in "[A-Za-z0-9 .]{1,20}", ou in "[A-Za-z0-9 ]{1,20}") {
        let dn = format!("CN={},OU={},O=IBM,C=US", cn.trim(), ou.trim());
        prop_assume!(!cn.trim().is_empty() && !ou.trim().is_empty());
        prop_assert!(model::sslpeer::matches(&dn, &dn).unwrap().matches);
    }
}
