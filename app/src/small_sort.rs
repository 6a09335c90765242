//! Sorting for the few dozen rows a page shows. The standard library's sorts cost the
//! bundle several KB per use (measured: the certificates page's sorts and sets added ~10 KB
//! brotli); an insertion sort is a few hundred bytes and plenty fast for tens of rows.

use std::cmp::Ordering;

/// Sorts `items` stably by `order`.
pub fn sort_by<T>(items: &mut [T], order: impl Fn(&T, &T) -> Ordering) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && order(&items[j - 1], &items[j]) == Ordering::Greater {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Adds `item` unless it is there already (a set for tens of items, keeping first-seen order).
pub fn insert_once<T: PartialEq>(items: &mut Vec<T>, item: T) {
    if !items.contains(&item) {
        items.push(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_stably() {
        let mut v = vec![(3, 'a'), (1, 'b'), (3, 'c'), (0, 'd'), (1, 'e')];
        sort_by(&mut v, |a, b| a.0.cmp(&b.0));
        assert_eq!(v, [(0, 'd'), (1, 'b'), (1, 'e'), (3, 'a'), (3, 'c')]);
        let mut empty: Vec<u8> = Vec::new();
        sort_by(&mut empty, u8::cmp);
        assert!(empty.is_empty());
    }

    #[test]
    fn inserts_once() {
        let mut v = Vec::new();
        for x in [2, 1, 2, 3, 1] {
            insert_once(&mut v, x);
        }
        assert_eq!(v, [2, 1, 3]);
    }
}
