//! The receiver over real TCP sockets: a tiny client written here, and Python's smtplib.

use super::*;
use std::sync::Mutex;
use tokio::io::AsyncWriteExt;

type Inbox = Arc<Mutex<Vec<(Envelope, Vec<u8>)>>>;

/// A receiver on a free port that stores what it accepts; mail whose body says
/// "FAIL" is refused by the callback.
async fn start(max_message_bytes: usize, session_timeout: Duration) -> (std::net::SocketAddr, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let inbox: Inbox = Arc::default();
    let config = SmtpConfig { max_message_bytes, session_timeout, ..SmtpConfig::new("inbound.localhost") };
    let stored = inbox.clone();
    tokio::spawn(serve(listener, config, move |envelope, raw: Vec<u8>| {
        let stored = stored.clone();
        async move {
            if raw.windows(4).any(|w| w == b"FAIL") {
                return Err("refused by the test");
            }
            stored.lock().unwrap().push((envelope, raw));
            Ok(())
        }
    }));
    (addr, inbox)
}

struct Client {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Client {
    async fn connect(addr: std::net::SocketAddr) -> Self {
        let (read, writer) = TcpStream::connect(addr).await.unwrap().into_split();
        let mut client = Self { reader: BufReader::new(read), writer };
        assert!(client.reply().await.starts_with("220 "));
        client
    }

    /// The whole reply (continuation lines joined by `|`); empty when closed.
    async fn reply(&mut self) -> String {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                return lines.join("|");
            }
            let line = line.trim_end().to_owned();
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line);
            if last {
                return lines.join("|");
            }
        }
    }

    async fn send(&mut self, raw: &[u8]) -> String {
        self.writer.write_all(raw).await.unwrap();
        self.reply().await
    }

    async fn say(&mut self, command: &str) -> String {
        self.send(format!("{command}\r\n").as_bytes()).await
    }
}

fn code(reply: &str) -> &str {
    reply.get(..3).unwrap_or(reply)
}

#[tokio::test]
async fn a_session_delivers_one_dot_unstuffed_message_to_the_callback() {
    let (addr, inbox) = start(10_000, Duration::from_secs(10)).await;
    let mut c = Client::connect(addr).await;
    let ehlo = c.say("EHLO client.example").await;
    assert!(ehlo.contains("250-SIZE 10000") && ehlo.contains("8BITMIME"), "{ehlo}");
    assert_eq!(code(&c.say("MAIL FROM:<>").await), "250");
    assert_eq!(code(&c.say("RCPT TO:<demo@INBOUND.localhost>").await), "250");
    assert_eq!(code(&c.say("RCPT TO:<demo@other.example>").await), "550");
    assert_eq!(code(&c.say("rcpt to: <reply+t0k3n@inbound.localhost>").await), "250");
    assert_eq!(code(&c.say("DATA").await), "354");
    let reply = c.send(b"Subject: hi\r\n\r\n..leading dot\r\n..\r\nnot the end\r\n.\r\n").await;
    assert_eq!(code(&reply), "250");
    assert_eq!(code(&c.say("QUIT").await), "221");
    let inbox = inbox.lock().unwrap();
    let (envelope, raw) = &inbox[0];
    assert_eq!(envelope.sender, "");
    assert_eq!(envelope.recipients, ["demo@INBOUND.localhost", "reply+t0k3n@inbound.localhost"]);
    assert_eq!(raw, b"Subject: hi\r\n\r\n.leading dot\r\n.\r\nnot the end\r\n".as_slice());
}

#[tokio::test]
async fn too_big_messages_get_552_and_the_session_goes_on() {
    let (addr, inbox) = start(1_000, Duration::from_secs(10)).await;
    let mut c = Client::connect(addr).await;
    c.say("HELO client").await;
    assert_eq!(code(&c.say("MAIL FROM:<a@example.com> SIZE=1001").await), "552");
    assert_eq!(code(&c.say("MAIL FROM:<a@example.com> SIZE=999 BODY=8BITMIME").await), "250");
    c.say("RCPT TO:<demo@inbound.localhost>").await;
    c.say("DATA").await;
    let big = format!("Subject: big\r\n\r\n{}\r\n.\r\n", "x".repeat(5_000));
    assert_eq!(code(&c.send(big.as_bytes()).await), "552");
    assert_eq!(code(&c.say("RSET").await), "250");
    c.say("MAIL FROM:<a@example.com>").await;
    c.say("RCPT TO:<demo@inbound.localhost>").await;
    c.say("DATA").await;
    assert_eq!(code(&c.send(b"Subject: small\r\n\r\nok\r\n.\r\n").await), "250");
    assert_eq!(inbox.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_failing_callback_answers_451() {
    let (addr, inbox) = start(1_000, Duration::from_secs(10)).await;
    let mut c = Client::connect(addr).await;
    c.say("EHLO c").await;
    c.say("MAIL FROM:<a@example.com>").await;
    c.say("RCPT TO:<demo@inbound.localhost>").await;
    c.say("DATA").await;
    assert_eq!(code(&c.send(b"FAIL\r\n.\r\n").await), "451");
    assert!(inbox.lock().unwrap().is_empty());
}

#[tokio::test]
async fn commands_out_of_order_or_malformed_get_errors() {
    let (addr, _) = start(1_000, Duration::from_secs(10)).await;
    let mut c = Client::connect(addr).await;
    assert_eq!(code(&c.say("MAIL FROM:<a@example.com>").await), "503");
    assert_eq!(code(&c.say("EHLO").await), "501");
    c.say("EHLO c").await;
    assert_eq!(code(&c.say("RCPT TO:<demo@inbound.localhost>").await), "503");
    assert_eq!(code(&c.say("DATA").await), "503");
    assert_eq!(code(&c.say("MAIL FROM:a@example.com").await), "501");
    assert_eq!(code(&c.say("MAIL FROM:<not an address>").await), "501");
    assert_eq!(code(&c.say("MAIL FROM:<nobody>").await), "553");
    assert_eq!(code(&c.say("MAIL FROM:<a@example.com> SMTPUTF8").await), "555");
    assert_eq!(code(&c.say("MAIL FROM:<a@example.com>").await), "250");
    assert_eq!(code(&c.say("MAIL FROM:<a@example.com>").await), "503");
    assert_eq!(code(&c.say("RCPT TO:<@inbound.localhost>").await), "550");
    assert_eq!(code(&c.say("RCPT TO:<demo@inbound.localhost> NOTIFY=NEVER").await), "555");
    assert_eq!(code(&c.say("DATA now").await), "501");
    assert_eq!(code(&c.say("STARTTLS").await), "502");
    assert_eq!(code(&c.say("").await), "500");
    assert_eq!(code(&c.say("NOOP").await), "250");
    assert_eq!(code(&c.say(&"X".repeat(2_000)).await), "500");
    assert_eq!(code(&c.send(b"\x00\xff\xfe garbage\r\n").await), "502");
    assert_eq!(code(&c.say("VRFY demo").await), "252");
}

#[tokio::test]
async fn hostile_clients_do_not_stop_the_receiver() {
    let (addr, inbox) = start(1_000, Duration::from_millis(500)).await;
    // A silent client gets 421 at the deadline and is closed.
    let mut silent = Client::connect(addr).await;
    assert_eq!(code(&silent.reply().await), "421");
    assert_eq!(silent.reply().await, "");
    // One that sends an endless line, one that drops mid-DATA.
    let mut flood = TcpStream::connect(addr).await.unwrap();
    let _ = flood.write_all(&vec![b'A'; 300_000]).await;
    let mut dropped = Client::connect(addr).await;
    dropped.say("EHLO c").await;
    dropped.say("MAIL FROM:<a@example.com>").await;
    dropped.say("RCPT TO:<demo@inbound.localhost>").await;
    dropped.say("DATA").await;
    dropped.writer.write_all(b"partial message").await.unwrap();
    drop(dropped);
    // Meanwhile twenty well-behaved sessions all deliver.
    let sessions = (0..20).map(|i| async move {
        let mut c = Client::connect(addr).await;
        c.say("EHLO c").await;
        c.say(&format!("MAIL FROM:<s{i}@example.com>")).await;
        c.say("RCPT TO:<demo@inbound.localhost>").await;
        c.say("DATA").await;
        code(&c.send(format!("Subject: {i}\r\n\r\nhello\r\n.\r\n").as_bytes()).await).to_owned()
    });
    let codes: Vec<String> = futures_join_all(sessions).await;
    assert!(codes.iter().all(|c| c == "250"), "{codes:?}");
    assert_eq!(inbox.lock().unwrap().len(), 20);
}

/// Runs futures side by side on the test's runtime (no extra dependency).
async fn futures_join_all<F: Future<Output = String> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<String> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

#[tokio::test]
async fn python_smtplib_can_send_bounce_and_be_refused() {
    if std::process::Command::new("python3").arg("--version").output().is_err() {
        eprintln!("python3 not found: smtplib test skipped");
        return;
    }
    let (addr, inbox) = start(50_000, Duration::from_secs(10)).await;
    let script = r#"
import smtplib, sys
from email.message import EmailMessage
port = int(sys.argv[1])
m = EmailMessage()
m["From"] = "Renée <renee@example.com>"; m["To"] = "demo@inbound.localhost"; m["Subject"] = "Grüße"
m.set_content("Ça ne marche pas.\n.leading dot\n")
with smtplib.SMTP("127.0.0.1", port) as s:
    s.send_message(m)
    s.sendmail("", ["reply+tok@inbound.localhost"], b"Subject: bounce\r\n\r\nfailed\r\n")
    try:
        s.sendmail("a@example.com", ["x@elsewhere.example"], b"Subject: x\r\n\r\nx\r\n")
        print("relayed")
    except smtplib.SMTPRecipientsRefused:
        print("refused")
    try:
        s.sendmail("a@example.com", ["demo@inbound.localhost"], b"x" * 60000)
        print("too big accepted")
    except smtplib.SMTPSenderRefused as e:
        print("too big", e.smtp_code)
"#;
    let out =
        tokio::process::Command::new("python3").args(["-c", script, &addr.port().to_string()]).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "refused\ntoo big 552\n");
    let inbox = inbox.lock().unwrap();
    assert_eq!(inbox.len(), 2);
    assert_eq!(inbox[0].0.sender, "renee@example.com");
    assert!(String::from_utf8_lossy(&inbox[0].1).contains("\r\n.leading dot\r\n"));
    assert_eq!(inbox[1].0, Envelope { sender: String::new(), recipients: vec!["reply+tok@inbound.localhost".into()] });
}
