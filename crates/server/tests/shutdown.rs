//! SIGTERM with many sockets connected: the real `ringback` binary, so the
//! process exiting is part of what is tested. Every socket must have its
//! Going Away (1001) close frame before the process is gone.

use futures_util::StreamExt;
use protocol::signal::{ClientMessage, ServerMessage, close_code};
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

const SOCKETS: usize = 400;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sigterm_every_socket_gets_going_away_before_the_process_exits() {
    let dir = tempfile::tempdir().expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_ringback"))
        .args(["serve", "--demo", "--sip-listen", "off"])
        .args(["--max-devices-per-rep", &SOCKETS.to_string()])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir.path())
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the server never came up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let session: Value = http
        .post(format!("{base}/api/v1/sessions"))
        .json(&json!({"email": "rep@demo.ringback.test", "password": "ringback-demo"}))
        .send()
        .await
        .expect("sign in")
        .json()
        .await
        .expect("session");
    let token = session["token"].as_str().expect("a token").to_owned();

    let mut sockets = Vec::with_capacity(SOCKETS);
    for i in 0..SOCKETS {
        let ticket: Value = http
            .post(format!("{base}/api/v1/ws-tickets"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("ticket")
            .json()
            .await
            .expect("ticket body");
        let ticket = ticket["ticket"].as_str().expect("a ticket");
        let mut request = format!("ws://127.0.0.1:{port}/api/v1/signal")
            .into_client_request()
            .expect("request");
        let headers = request.headers_mut();
        headers.insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_str(&format!("ringback.v1, ticket.{ticket}")).expect("header"),
        );
        headers.insert(
            "Origin",
            HeaderValue::from_static(ringback_server::config::EXTENSION_ORIGIN),
        );
        let (mut socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("socket opens");
        let hello = ClientMessage::Hello {
            id: "hello".into(),
            device_id: format!("device-{i}"),
            client: None,
        };
        futures_util::SinkExt::send(
            &mut socket,
            Message::text(serde_json::to_string(&hello).expect("json")),
        )
        .await
        .expect("hello");
        match socket.next().await {
            Some(Ok(Message::Text(text))) => assert!(matches!(
                serde_json::from_str(text.as_str()),
                Ok(ServerMessage::Welcome { .. })
            )),
            other => panic!("expected welcome, got {other:?}"),
        }
        sockets.push(socket);
    }

    let pid = server.id().to_string();
    let signalled = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(signalled.success());
    // Every socket reads until its close frame (answering it, as a browser
    // does, lets the server finish quickly), while the process exits.
    let mut readers = Vec::with_capacity(SOCKETS);
    for mut socket in sockets {
        readers.push(tokio::spawn(async move {
            loop {
                match tokio::time::timeout(Duration::from_secs(20), socket.next()).await {
                    Ok(Some(Ok(Message::Close(frame)))) => return frame.map(|f| u16::from(f.code)),
                    Ok(Some(Ok(_))) => continue,
                    Ok(Some(Err(_)) | None) | Err(_) => return None,
                }
            }
        }));
    }
    let exited = tokio::task::spawn_blocking(move || server.wait())
        .await
        .expect("wait")
        .expect("exit status");
    assert!(exited.success(), "a clean exit: {exited}");
    let mut missing = 0;
    for reader in readers {
        if reader.await.expect("reader") != Some(close_code::GOING_AWAY) {
            missing += 1;
        }
    }
    assert_eq!(
        missing, 0,
        "{missing} of {SOCKETS} sockets never got Going Away"
    );
}
