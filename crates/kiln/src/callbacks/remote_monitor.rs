//! `keras.callbacks.RemoteMonitor`: POSTs each epoch's logs to an HTTP server, as Keras
//! sends them with `requests` (a form field holding the JSON, or a JSON body).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::callbacks::{python_float, Callback, Logs};
use crate::models::Model;
use crate::{Error, Result};

/// Streams events to a server (`keras.callbacks.RemoteMonitor(root="http://localhost:9000",
/// path="/publish/epoch/end/", field="data", headers=None, send_as_json=False)`).
///
/// At the end of every epoch it sends `{"epoch": epoch, ...logs}` (JSON as Python's
/// `json.dumps` writes it) by HTTP POST to `root + path`: as the form field `field`
/// (`application/x-www-form-urlencoded`), or with `send_as_json` as the body
/// (`application/json`). Like Keras, a server that cannot be reached gives a warning on
/// stderr, not an error. Only `http://` roots are supported (kiln has no TLS).
///
/// ```
/// use kiln::callbacks::RemoteMonitor;
/// let cb = RemoteMonitor::new("http://127.0.0.1:9000")?.path("/epochs").send_as_json(true);
/// assert_eq!(cb.url(), "http://127.0.0.1:9000/epochs");
/// assert!(RemoteMonitor::new("https://example.com").is_err());
/// # Ok::<(), kiln::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RemoteMonitor {
    root: String,
    host: String,
    port: u16,
    base_path: String,
    path: String,
    field: String,
    headers: Vec<(String, String)>,
    send_as_json: bool,
    timeout: Duration,
}

impl RemoteMonitor {
    /// Posting to the server at `root` (`http://host[:port][/prefix]`).
    pub fn new(root: &str) -> Result<Self> {
        let bad = |why: &str| Error::InvalidArgument {
            api: "RemoteMonitor",
            msg: format!("root {root:?} {why}; expected http://host[:port]"),
        };
        let rest = root
            .strip_prefix("http://")
            .ok_or_else(|| bad("is not an http:// URL (https needs TLS, which kiln lacks)"))?;
        let (authority, base_path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad("has a bad port"))?),
            None => (authority, 80),
        };
        if host.is_empty() {
            return Err(bad("has no host"));
        }
        Ok(RemoteMonitor {
            root: root.to_string(),
            host: host.to_string(),
            port,
            base_path: base_path.to_string(),
            path: "/publish/epoch/end/".into(),
            field: "data".into(),
            headers: Vec::new(),
            send_as_json: false,
            timeout: Duration::from_secs(10),
        })
    }
    /// The path appended to the root.
    pub fn path(mut self, p: &str) -> Self {
        self.path = p.into();
        self
    }
    /// The form field holding the JSON.
    pub fn field(mut self, f: &str) -> Self {
        self.field = f.into();
        self
    }
    /// An extra request header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    /// Sends the logs as a JSON body instead of a form field.
    pub fn send_as_json(mut self, v: bool) -> Self {
        self.send_as_json = v;
        self
    }
    /// Connect/read/write timeout (10 s by default).
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }
    /// `root + path`, as Keras joins them.
    pub fn url(&self) -> String {
        format!("{}{}", self.root, self.path)
    }

    /// The JSON Keras sends for `epoch` and `logs` (`json.dumps` separators and float
    /// forms; NaN and infinities as `NaN` / `Infinity`, which `send_as_json` refuses, as
    /// `requests` does).
    pub fn payload(&self, epoch: usize, logs: &Logs) -> Result<String> {
        let mut parts = vec![format!("\"epoch\": {epoch}")];
        for (k, v) in logs.iter() {
            let num = if v.is_nan() {
                "NaN".to_string()
            } else if v.is_infinite() {
                if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
            } else {
                python_float(v)
            };
            if self.send_as_json && !v.is_finite() {
                return Err(Error::InvalidArgument {
                    api: "RemoteMonitor",
                    msg: format!("Out of range float values are not JSON compliant: {k}={num}"),
                });
            }
            parts.push(format!(
                "{}: {num}",
                serde_json::Value::String(k.to_string())
            ));
        }
        Ok(format!("{{{}}}", parts.join(", ")))
    }

    /// The request body and its content type.
    fn body(&self, epoch: usize, logs: &Logs) -> Result<(String, &'static str)> {
        let json = self.payload(epoch, logs)?;
        Ok(if self.send_as_json {
            (json, "application/json")
        } else {
            (
                format!("{}={}", form_encode(&self.field), form_encode(&json)),
                "application/x-www-form-urlencoded",
            )
        })
    }

    fn post(&self, body: &str, content_type: &str) -> std::io::Result<()> {
        let addr = format!("{}:{}", self.host, self.port);
        let sock = std::net::ToSocketAddrs::to_socket_addrs(&addr)?
            .next()
            .ok_or_else(|| std::io::Error::other(format!("{addr} does not resolve")))?;
        let mut s = TcpStream::connect_timeout(&sock, self.timeout)?;
        s.set_read_timeout(Some(self.timeout))?;
        s.set_write_timeout(Some(self.timeout))?;
        let target = quote_path(&format!("{}{}", self.base_path, self.path));
        let mut req = format!(
            "POST {target} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\nConnection: close\r\n",
            if self.port == 80 {
                self.host.clone()
            } else {
                addr.clone()
            },
            body.len()
        );
        for (k, v) in &self.headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        s.write_all(req.as_bytes())?;
        // Read the status line (the response itself is not used, as in Keras).
        let mut buf = [0u8; 512];
        let _ = s.read(&mut buf)?;
        Ok(())
    }
}

/// `urllib.parse.quote_plus`: spaces as `+`, everything but `A-Za-z0-9_.-~` as `%XX`.
fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `requests`' `requote_uri`: characters not allowed in a URL are `%XX`-escaped.
fn quote_path(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!#$%&'()*+,/:;=?@[]".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Callback for RemoteMonitor {
    fn on_epoch_end(&mut self, _model: &mut Model, epoch: usize, logs: &mut Logs) -> Result<()> {
        let (body, content_type) = self.body(epoch, logs)?;
        if self.post(&body, content_type).is_err() {
            eprintln!(
                "UserWarning: Could not reach RemoteMonitor root server at {}",
                self.root
            );
        }
        Ok(())
    }
}
