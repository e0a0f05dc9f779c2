//! `RemoteMonitor` sends what Keras 3.15 sends (tools/golden/gen_remote_monitor.py →
//! fixtures/remote_monitor.json, recorded from Keras's callback by a local server): the
//! same path, Content-Type, extra headers and body, to a TcpListener on 127.0.0.1 in the
//! test (never the network); one POST per epoch during `fit`; an unreachable server is a
//! warning, not an error, as in Keras.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::thread::JoinHandle;

use kiln::callbacks::{Callback, Logs, RemoteMonitor};
use kiln::prelude::*;
use serde_json::Value;

/// What the server saw of one request.
#[derive(Debug)]
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A server on a free local port answering `n` requests with 200.
fn serve(n: usize) -> (String, JoinHandle<Vec<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let root = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..n {
            let (mut stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                let (k, v) = line.split_once(':').unwrap();
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
            let len: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .map(|(_, v)| v.parse().unwrap())
                .unwrap_or(0);
            let mut body = vec![0u8; len];
            reader.read_exact(&mut body).unwrap();
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
            seen.push(Seen {
                request_line: request_line.trim_end().to_string(),
                headers,
                body: String::from_utf8(body).unwrap(),
            });
        }
        seen
    });
    (root, handle)
}

fn model() -> Model {
    let mut m = Model::sequential(vec![Dense::new(1)
        .kernel_initializer("zeros")
        .input_shape(&[2])
        .into()])
    .unwrap();
    m.compile(CompileArgs::new().optimizer("sgd").loss("mse"))
        .unwrap();
    m
}

#[test]
fn requests_are_the_ones_keras_sends() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tools/golden/fixtures/remote_monitor.json"
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    let (root, server) = serve(cases.len());
    let mut m = model();
    for c in cases {
        let kw = &c["kwargs"];
        let mut cb = RemoteMonitor::new(&root).unwrap();
        if let Some(p) = kw["path"].as_str() {
            cb = cb.path(p);
        }
        if let Some(f) = kw["field"].as_str() {
            cb = cb.field(f);
        }
        if let Some(h) = kw["headers"].as_object() {
            for (k, v) in h {
                cb = cb.header(k, v.as_str().unwrap());
            }
        }
        if kw["send_as_json"].as_bool() == Some(true) {
            cb = cb.send_as_json(true);
        }
        // Keras's logs, in the order the fixture's script inserted them.
        let mut logs = Logs::new();
        for k in ["loss", "accuracy", "val_loss", "val_accuracy"] {
            logs.insert(k, c["logs"][k].as_f64().unwrap());
        }
        let epoch = c["epoch"].as_u64().unwrap() as usize;
        cb.on_epoch_end(&mut m, epoch, &mut logs).unwrap();
    }
    let seen = server.join().unwrap();
    for (c, s) in cases.iter().zip(&seen) {
        let id = c["id"].as_str().unwrap();
        let want = &c["request"];
        assert_eq!(
            s.request_line,
            format!("POST {} HTTP/1.1", want["path"].as_str().unwrap()),
            "{id}"
        );
        assert_eq!(
            s.header("content-type"),
            want["content_type"].as_str(),
            "{id}"
        );
        assert_eq!(s.header("x-token"), want["x_token"].as_str(), "{id}");
        assert_eq!(s.body, want["body"].as_str().unwrap(), "{id}");
    }
}

#[test]
fn fit_posts_every_epoch_and_an_unreachable_server_only_warns() {
    let (root, server) = serve(2);
    let x = Tensor::ones(&[4, 2], DType::F32);
    let y = Tensor::ones(&[4, 1], DType::F32);
    let mut m = model();
    m.fit(
        &x,
        &y,
        FitArgs::new()
            .epochs(2)
            .verbose(0)
            .callback(RemoteMonitor::new(&root).unwrap().send_as_json(true)),
    )
    .unwrap();
    let seen = server.join().unwrap();
    for (epoch, s) in seen.iter().enumerate() {
        let v: Value = serde_json::from_str(&s.body).unwrap();
        assert_eq!(v["epoch"], epoch, "{}", s.body);
        assert!(v["loss"].as_f64().is_some(), "{}", s.body);
    }
    // A port nobody listens on: training goes on.
    let free = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let cb = RemoteMonitor::new(&format!("http://{free}")).unwrap();
    m.fit(&x, &y, FitArgs::new().epochs(1).verbose(0).callback(cb))
        .unwrap();
    // NaN cannot be sent as JSON (requests refuses it too).
    let mut logs = Logs::new();
    logs.insert("loss", f64::NAN);
    let cb = RemoteMonitor::new("http://127.0.0.1:9")
        .unwrap()
        .send_as_json(true);
    assert!(cb.payload(0, &logs).is_err());
    assert!(RemoteMonitor::new("http://:80").is_err());
    assert!(RemoteMonitor::new("http://h:notaport").is_err());
}
