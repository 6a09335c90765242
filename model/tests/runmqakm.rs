use proptest::prelude::*;

proptest! {
    #[test]
    fn runmqakm_parsers_never_panic(text in "(?s).{0,300}") {
        let _ = model::runmqakm::parse_list(&text);
        let _ = model::runmqakm::parse_details(&text);
    }

    #[test]
    fn fragments_never_panic(parts in proptest::collection::vec(prop_oneof![
        Just("Label : x\n"), Just(" : \n"), Just("\t\"a\"\n"), Just("*-!#"), Just("Fingerprint : SHA1 :\n"),
        Just("    AB:CD\n"), Just("Public Key\n"), Just("\r\n"), Just("Key Size : 99999999999\n"), Just("é")
    ], 0..30)) {
        let text: String = parts.concat();
        let _ = model::runmqakm::parse_list(&text);
        let _ = model::runmqakm::parse_details(&text);
    }
}
