//! Sign-in under load from strangers: memory stays bounded and the server
//! keeps answering. Its own test binary, so the RSS it reads is this server's.

mod common;

use common::*;
use serde_json::json;
use std::net::IpAddr;

/// This process's resident memory, in MiB.
fn rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line");
    kib / 1024
}

/// A client whose requests come from `ip` (any 127/8 address is loopback).
fn client_from(ip: IpAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip)
        .build()
        .expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_parallel_unknown_sign_ins_leave_memory_bounded_and_health_answering() {
    let t = TestServer::start().await;
    // Warm up: the first check builds the dummy hash unknown emails verify against.
    t.sign_in(&t.alice).await;
    let before = rss_mib();

    let url = t.url("/api/v1/sessions");
    let attempts: Vec<_> = (0..200u32)
        .map(|i| {
            // One source each, so the per-source throttle does not stop them
            // before argon2 (what this test is about).
            let client = client_from(IpAddr::from([
                127,
                0,
                1 + (i / 250) as u8,
                1 + (i % 250) as u8,
            ]));
            let url = url.clone();
            tokio::spawn(async move {
                let response = client
                    .post(&url)
                    .json(
                        &json!({"email": format!("stranger{i}@nowhere.test"), "password": "guess"}),
                    )
                    .send()
                    .await
                    .expect("sign-in request");
                let retry_after = response.headers().get("retry-after").cloned();
                (response.status().as_u16(), retry_after)
            })
        })
        .collect();

    // Meanwhile the health check answers.
    let health = {
        let http = t.http.clone();
        let url = t.url("/healthz");
        tokio::spawn(async move {
            let mut answered = 0;
            for _ in 0..20 {
                let status = http.get(&url).send().await.expect("healthz").status();
                assert_eq!(status, 200, "healthz answers during the burst");
                answered += 1;
            }
            answered
        })
    };

    let mut refused = 0;
    let mut busy = 0;
    for attempt in attempts {
        match attempt.await.expect("task") {
            (401, _) => refused += 1,
            (503, Some(retry_after)) => {
                assert!(retry_after.to_str().expect("ascii").parse::<u64>().is_ok());
                busy += 1;
            }
            other => panic!("unexpected answer to a stranger's sign-in: {other:?}"),
        }
    }
    assert_eq!(health.await.expect("health task"), 20);
    assert!(refused > 0, "some checks ran ({busy} were told to retry)");
    let after = rss_mib();
    assert!(
        after <= before + 100,
        "RSS grew from {before} MiB to {after} MiB ({refused} checked, {busy} busy)"
    );
    // The rep can still sign in.
    t.sign_in(&t.alice).await;
}
