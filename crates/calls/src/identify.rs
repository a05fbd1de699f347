//! Rule 1: the caller's number picks the Person.

use protocol::{Person, PersonSnapshot, PhoneNumber};

/// What the rep is shown for a caller: the matched Person, or just the number
/// for an unknown caller (who still rings).
pub fn caller_snapshot(number: &PhoneNumber, person: Option<&Person>) -> PersonSnapshot {
    match person {
        Some(person) => PersonSnapshot {
            id: Some(person.id),
            name: Some(person.name.clone()),
            title: person.title.clone(),
            account: person.account.clone(),
            crm_url: person.crm_url.clone(),
            number: number.to_string(),
        },
        None => PersonSnapshot {
            id: None,
            name: None,
            title: None,
            account: None,
            crm_url: None,
            number: number.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Action, Call, RingRequest};
    use protocol::{NoAnswerAction, PersonId};

    fn number() -> PhoneNumber {
        PhoneNumber::parse("(415) 555-0100", 1).expect("valid number")
    }

    #[test]
    fn a_known_caller_is_shown_with_name_title_and_account() {
        let person = Person {
            id: PersonId(9),
            name: "Grace Hopper".into(),
            title: Some("VP Engineering".into()),
            account: Some("Navy".into()),
            phones: vec!["+14155550100".into()],
            crm_url: Some("https://crm.example/c/9".into()),
        };
        let snapshot = caller_snapshot(&number(), Some(&person));
        assert_eq!(snapshot.display_name(), "Grace Hopper");
        assert_eq!(snapshot.title.as_deref(), Some("VP Engineering"));
        assert_eq!(snapshot.account.as_deref(), Some("Navy"));
        assert_eq!(snapshot.id, Some(PersonId(9)));
    }

    #[test]
    fn an_unknown_caller_still_rings_shown_as_the_number() {
        let snapshot = caller_snapshot(&number(), None);
        assert_eq!(snapshot.display_name(), "+14155550100");
        assert_eq!(snapshot.id, None);
        // Identity plays no part in routing: the browser rings all the same.
        let request = RingRequest {
            inbound_enabled: true,
            custom_caller_id_set: false,
            browser: crate::BrowserPresence::Connected,
            availability: protocol::Availability::AVAILABLE,
            forwarding_number: None,
            no_answer_action: NoAnswerAction::Voicemail,
            ring_timeout_ms: 20_000,
            max_call_ms: crate::DEFAULT_MAX_CALL_MS,
        };
        let (_, actions) = Call::ring(&request, 0);
        assert_eq!(actions, vec![Action::RingBrowser]);
    }
}
