//! Both backends keep NATS's semantics: publish to every subscriber,
//! first reply wins, no responders at once, unsubscribe on drop.

use ringback_bus::testing::NatsServer;
use ringback_bus::{Bus, BusError, Bytes, InProcessBus, NatsBus};
use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(5);

async fn semantics(bus: &dyn Bus) {
    // Nobody subscribed: the request fails at once, not after its timeout.
    let started = Instant::now();
    let none = bus
        .request(
            "t.presence",
            Bytes::from_static(b"?"),
            Duration::from_secs(5),
        )
        .await;
    assert!(matches!(none, Err(BusError::NoResponders(_))), "{none:?}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );

    let mut one = bus.subscribe("t.rep").await.expect("subscribe");
    let mut two = bus.subscribe("t.rep").await.expect("subscribe");
    bus.publish("t.rep", Bytes::from_static(b"ring"))
        .await
        .expect("publish");
    for sub in [&mut one, &mut two] {
        let message = tokio::time::timeout(PATIENCE, sub.next())
            .await
            .expect("in time")
            .expect("message");
        assert_eq!(&message.payload[..], b"ring");
        assert!(!message.wants_reply());
    }

    // Both get the request; the first reply is the answer.
    let asking = bus.request("t.rep", Bytes::from_static(b"who"), PATIENCE);
    let answering = async {
        let first = one.next().await.expect("request");
        let second = two.next().await.expect("request");
        first
            .respond(Bytes::from_static(b"one"))
            .await
            .expect("respond");
        second
            .respond(Bytes::from_static(b"two"))
            .await
            .expect("respond");
    };
    let (reply, ()) = tokio::join!(asking, answering);
    assert_eq!(&reply.expect("reply")[..], b"one");

    // Unsubscribed once dropped: no responders again.
    drop(one);
    drop(two);
    let gone = bus
        .request("t.rep", Bytes::from_static(b"?"), PATIENCE)
        .await;
    assert!(matches!(gone, Err(BusError::NoResponders(_))), "{gone:?}");

    let big = Bytes::from(vec![0; ringback_bus::MAX_PAYLOAD + 1]);
    assert!(matches!(
        bus.publish("t.rep", big).await,
        Err(BusError::TooLarge(_))
    ));
}

#[tokio::test]
async fn in_process() {
    semantics(&InProcessBus::new()).await;
}

#[tokio::test]
async fn nats() {
    let Some(server) = NatsServer::start() else {
        return;
    };
    let bus = NatsBus::connect(&server.url).await.expect("connects");
    semantics(&bus).await;
}
