//! Calls Alice places from her "laptop" through the trunk (`--trunk-uri`),
//! for the tests of outbound calls, call waiting and moves to the phone.

use super::{ADA_PHONE, Signal, TestServer};
use media::softphone::Softphone;
use protocol::CallId;
use protocol::api::DialResponse;
use protocol::signal::{DialProgress, ServerMessage};
use serde_json::{Value, json};

impl TestServer {
    /// Alice dials `to` from her "laptop"; the status and the body.
    pub async fn dial(&self, token: &str, to: &str) -> (u16, Value) {
        let response = self
            .send_json(
                reqwest::Method::POST,
                token,
                "/api/v1/calls/dial",
                &json!({"to": to, "device_id": "laptop"}),
            )
            .await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// POSTs `body` to `path`; the status.
    pub async fn post_status(&self, token: &str, path: &str, body: &Value) -> u16 {
        self.send_json(reqwest::Method::POST, token, path, body)
            .await
            .status()
            .as_u16()
    }

    /// Alice dials Ada; the call rings, is answered, and is connected with
    /// the returned softphone as the browser's audio.
    pub async fn dial_until_connected(
        &self,
        token: &str,
        laptop: &mut Signal,
    ) -> (CallId, Softphone) {
        let (status, body) = self.dial(token, ADA_PHONE).await;
        assert_eq!(status, 201, "{body}");
        let placed: DialResponse = serde_json::from_value(body).expect("dial response");
        let (phone, answer) = Softphone::answer(&placed.offer).expect("an answer to the offer");
        let path = format!("/api/v1/calls/{}/answer", placed.call_id);
        assert_eq!(
            self.post_status(token, &path, &json!({ "answer": answer }))
                .await,
            204
        );
        for expected in [DialProgress::Ringing, DialProgress::Connected] {
            assert_eq!(expect_progress(laptop, placed.call_id).await, expected);
        }
        (placed.call_id, phone)
    }

    /// What the media engine reports of `call` (a dial has no carrier id
    /// to ask the carrier API with); `None` once its audio is released.
    pub async fn call_media(&self, call: CallId) -> Option<Value> {
        let report = self
            .server
            .as_ref()
            .expect("running")
            .state()
            .media()
            .report(call)
            .await?;
        Some(serde_json::to_value(report).expect("report"))
    }

    /// The rep hangs a dialled call up (the panel's Hang up, over REST).
    pub async fn hang_up_dial(&self, token: &str, call: CallId) -> u16 {
        self.post_status(token, &format!("/api/v1/calls/{call}/hang-up"), &json!({}))
            .await
    }
}

/// The next dial update for `call` on the socket.
pub async fn expect_progress(socket: &mut Signal, call: CallId) -> DialProgress {
    match socket.recv().await {
        ServerMessage::DialUpdate { call_id, update } if call_id == call => update,
        other => panic!("expected a dial update for call {call}, got {other:?}"),
    }
}
