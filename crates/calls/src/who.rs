//! Several People on one number (a switchboard, a shared desk line, a
//! Person entered twice): which one a call is from.
//!
//! The one the rep chose for that number last (in the panel) comes first;
//! then the one the rep called or logged most recently at that number; then
//! the one edited most recently. The notification leads with the first and
//! says how many others share the number; Accept opens the first's record;
//! the panel offers the others.

use protocol::{PersonId, UnixMillis};

/// What the store knows of one Person with the caller's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub person: PersonId,
    /// When the rep last chose this Person for this number.
    pub chosen_at: Option<UnixMillis>,
    /// The rep's latest call with this Person at this number (rung or logged).
    pub last_call_at: Option<UnixMillis>,
    pub updated_at: UnixMillis,
}

/// The most People one ring carries (the first and the others offered).
pub const MAX_CANDIDATES: usize = 6;

/// The candidates, most likely first, at most [`MAX_CANDIDATES`].
pub fn rank(mut candidates: Vec<Candidate>) -> Vec<PersonId> {
    // `Option`'s order puts `None` first: reverse each key so the latest
    // time, and any time before none, comes first.
    candidates.sort_by(|a, b| {
        b.chosen_at
            .cmp(&a.chosen_at)
            .then(b.last_call_at.cmp(&a.last_call_at))
            .then(b.updated_at.cmp(&a.updated_at))
            .then(a.person.cmp(&b.person))
    });
    candidates
        .into_iter()
        .take(MAX_CANDIDATES)
        .map(|c| c.person)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: i64, chosen: Option<i64>, called: Option<i64>, updated: i64) -> Candidate {
        Candidate {
            person: PersonId(id),
            chosen_at: chosen,
            last_call_at: called,
            updated_at: updated,
        }
    }

    #[test]
    fn the_person_called_most_recently_at_the_number_comes_first() {
        let ranked = rank(vec![
            candidate(1, None, Some(100), 900),
            candidate(2, None, Some(300), 100),
            candidate(3, None, None, 1_000),
        ]);
        assert_eq!(ranked, vec![PersonId(2), PersonId(1), PersonId(3)]);
    }

    #[test]
    fn a_choice_made_in_the_panel_wins_over_any_call() {
        let ranked = rank(vec![
            candidate(1, None, Some(5_000), 900),
            candidate(2, Some(10), None, 100),
            candidate(3, Some(20), Some(1), 100),
        ]);
        assert_eq!(ranked, vec![PersonId(3), PersonId(2), PersonId(1)]);
    }

    #[test]
    fn never_called_they_go_by_the_latest_edit_then_by_id() {
        let ranked = rank(vec![
            candidate(4, None, None, 10),
            candidate(2, None, None, 20),
            candidate(3, None, None, 20),
        ]);
        assert_eq!(ranked, vec![PersonId(2), PersonId(3), PersonId(4)]);
    }

    #[test]
    fn a_ring_carries_a_bounded_number_of_people() {
        let many = (0..50).map(|i| candidate(i, None, None, i)).collect();
        assert_eq!(rank(many).len(), MAX_CANDIDATES);
        assert!(rank(Vec::new()).is_empty());
    }
}
