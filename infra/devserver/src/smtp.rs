//! The dev stack's SMTP receiver (never shipped): enough ESMTP for Python's
//! smtplib and swaks to hand a message to the local inbound path, as SES
//! receiving does on AWS. EHLO/HELO (with SIZE and 8BITMIME), MAIL FROM (the
//! null sender `<>` included), RCPT TO for one domain only, DATA with
//! dot-unstuffing and a size limit (552 after reading to the end, so the session
//! goes on), RSET, NOOP, QUIT; 502/503/501/500 for the rest. Commands are capped
//! at RFC 5321's 512 bytes, sessions at a deadline, and every session runs on its
//! own task. The callback's answer decides 250 (accepted) or 451 (try again).

use std::fmt::Display;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// RFC 5321 §4.5.3.1.4: a command line, CRLF included.
const MAX_COMMAND_LINE: usize = 512;
/// RFC 5321 §4.5.3.1.8 asks for at least 100.
const MAX_RECIPIENTS: usize = 100;
/// Longest reverse or forward path (RFC 5321 §4.5.3.1.3), brackets excluded.
const MAX_PATH: usize = 254;
/// DATA is read in pieces of at most this many bytes, whatever its line lengths.
const DATA_CHUNK: usize = 64 * 1024;

/// What the receiver accepts.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// Our name in the greeting.
    pub hostname: String,
    /// The only recipient domain accepted (any case), e.g. `inbound.localhost`.
    pub domain: String,
    /// Largest message, in bytes after dot-unstuffing; advertised as `SIZE`.
    pub max_message_bytes: usize,
    /// Longest a session may last; then `421` and close. A delivery still running
    /// then is cancelled, so keep it well above the callback's own time.
    pub session_timeout: Duration,
}

impl SmtpConfig {
    /// Defaults for `make run`: the portal's message limit, two minutes a session.
    pub fn new(domain: &str) -> Self {
        Self {
            hostname: "localhost".into(),
            domain: domain.to_owned(),
            max_message_bytes: inbound_mail::MAX_MESSAGE_BYTES,
            session_timeout: Duration::from_secs(120),
        }
    }
}

/// The envelope of an accepted message (SES `mail.source` and `receipt.recipients`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// `MAIL FROM`, empty for the null sender `<>`.
    pub sender: String,
    /// Every accepted `RCPT TO`, as given.
    pub recipients: Vec<String>,
}

/// Accepts sessions for ever (run it on a task; abort the task to stop), each on
/// its own task. `deliver` gets each message's envelope and raw bytes (CRLF line
/// ends as sent); its error is logged, so it must not contain addresses.
pub async fn serve<F, Fut, E>(listener: TcpListener, config: SmtpConfig, deliver: F)
where
    F: Fn(Envelope, Vec<u8>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Display + Send + 'static,
{
    let config = Arc::new(config);
    let deliver = Arc::new(deliver);
    loop {
        let mut stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(err) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::warn!(error = %err, "smtp accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let (config, deliver) = (config.clone(), deliver.clone());
        tokio::spawn(async move {
            let limit = config.session_timeout;
            match tokio::time::timeout(limit, session(&mut stream, &config, &*deliver)).await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => tracing::debug!(error = %err, "smtp session ended by an I/O error"),
                Err(_) => {
                    let _ = stream
                        .write_all(format!("421 4.4.2 {} timeout, closing\r\n", config.hostname).as_bytes())
                        .await;
                }
            }
        });
    }
}

#[derive(Default)]
struct Transaction {
    sender: Option<String>,
    recipients: Vec<String>,
}

async fn session<F, Fut, E>(stream: &mut TcpStream, config: &SmtpConfig, deliver: &F) -> io::Result<()>
where
    F: Fn(Envelope, Vec<u8>) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Display,
{
    let (read, mut write) = stream.split();
    let mut reader = BufReader::new(read);
    let host = &config.hostname;
    let mut greeted = false;
    let mut mail = Transaction::default();
    write.write_all(format!("220 {host} ESMTP portal dev receiver\r\n").as_bytes()).await?;
    loop {
        let line = match read_command(&mut reader).await? {
            Command::Eof => return Ok(()),
            Command::TooLong => {
                write.write_all(b"500 5.5.2 Line too long\r\n").await?;
                continue;
            }
            Command::Line(line) => line,
        };
        let (verb, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let answer = match verb.to_ascii_uppercase().as_str() {
            "EHLO" | "HELO" if arg.trim().is_empty() => "501 5.5.4 Say who you are: EHLO hostname".to_owned(),
            "EHLO" => {
                (greeted, mail) = (true, Transaction::default());
                format!("250-{host} hello\r\n250-SIZE {}\r\n250-8BITMIME\r\n250 HELP", config.max_message_bytes)
            }
            "HELO" => {
                (greeted, mail) = (true, Transaction::default());
                format!("250 {host} hello")
            }
            "MAIL" if !greeted => "503 5.5.1 Say EHLO or HELO first".to_owned(),
            "MAIL" if mail.sender.is_some() => "503 5.5.1 Nested MAIL command".to_owned(),
            "MAIL" => match path_argument(arg, "FROM:") {
                Some((path, params)) if path.is_empty() || is_mailbox(path) => match mail_params(params, config) {
                    Ok(()) => {
                        mail.sender = Some(path.to_owned());
                        "250 2.1.0 Sender OK".to_owned()
                    }
                    Err(answer) => answer.to_owned(),
                },
                Some(_) => "553 5.1.7 Bad sender address".to_owned(),
                None => "501 5.5.4 Syntax: MAIL FROM:<address>".to_owned(),
            },
            "RCPT" if mail.sender.is_none() => "503 5.5.1 Need MAIL before RCPT".to_owned(),
            "RCPT" => match path_argument(arg, "TO:") {
                Some((_, params)) if !params.trim().is_empty() => {
                    "555 5.5.4 RCPT TO parameters not supported".to_owned()
                }
                Some(_) if mail.recipients.len() >= MAX_RECIPIENTS => "452 4.5.3 Too many recipients".to_owned(),
                Some((path, _)) if is_mailbox(path) && domain_of(path).eq_ignore_ascii_case(&config.domain) => {
                    mail.recipients.push(path.to_owned());
                    "250 2.1.5 Recipient OK".to_owned()
                }
                Some(_) => "550 5.1.1 No such recipient here".to_owned(),
                None => "501 5.5.4 Syntax: RCPT TO:<address>".to_owned(),
            },
            "DATA" if !arg.trim().is_empty() => "501 5.5.4 DATA takes no argument".to_owned(),
            "DATA" if mail.recipients.is_empty() => "503 5.5.1 Need RCPT before DATA".to_owned(),
            "DATA" => {
                write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                let Some(data) = read_data(&mut reader, config.max_message_bytes).await? else { return Ok(()) };
                let envelope = Envelope {
                    sender: mail.sender.take().unwrap_or_default(),
                    recipients: std::mem::take(&mut mail.recipients),
                };
                match data {
                    None => "552 5.3.4 Message too big".to_owned(),
                    Some(message) => match deliver(envelope, message).await {
                        Ok(()) => "250 2.0.0 OK: queued".to_owned(),
                        Err(err) => {
                            tracing::warn!(error = %err, "smtp delivery failed");
                            "451 4.3.0 Delivery failed, try again later".to_owned()
                        }
                    },
                }
            }
            "RSET" => {
                mail = Transaction::default();
                "250 2.0.0 OK".to_owned()
            }
            "NOOP" => "250 2.0.0 OK".to_owned(),
            "VRFY" => "252 2.5.2 Cannot verify, send some mail".to_owned(),
            "QUIT" => {
                write.write_all(format!("221 2.0.0 {host} closing\r\n").as_bytes()).await?;
                return Ok(());
            }
            "" => "500 5.5.2 Syntax error".to_owned(),
            _ => "502 5.5.1 Command not implemented".to_owned(),
        };
        write.write_all(format!("{answer}\r\n").as_bytes()).await?;
    }
}

enum Command {
    Line(String),
    TooLong,
    Eof,
}

/// One command line without its line end; an over-long line is read to its
/// end and discarded.
async fn read_command<R: AsyncBufRead + Unpin>(reader: &mut R) -> io::Result<Command> {
    let mut buf = Vec::new();
    let mut too_long = false;
    loop {
        buf.clear();
        let n = (&mut *reader).take(MAX_COMMAND_LINE as u64).read_until(b'\n', &mut buf).await?;
        if n == 0 || (!buf.ends_with(b"\n") && n < MAX_COMMAND_LINE) {
            return Ok(Command::Eof);
        }
        if !buf.ends_with(b"\n") {
            too_long = true;
        } else if too_long {
            return Ok(Command::TooLong);
        } else {
            let text = String::from_utf8_lossy(&buf);
            return Ok(Command::Line(text.trim_end_matches(['\r', '\n']).to_owned()));
        }
    }
}

/// The message up to the lone `.` line, dot-unstuffed (RFC 5321 §4.5.2).
/// `Some(None)` when it was bigger than `max_bytes` (read to its end all the
/// same), `None` when the client went away first.
async fn read_data<R: AsyncBufRead + Unpin>(reader: &mut R, max_bytes: usize) -> io::Result<Option<Option<Vec<u8>>>> {
    let mut message = Some(Vec::new());
    let mut at_line_start = true;
    let mut chunk = Vec::new();
    loop {
        chunk.clear();
        if (&mut *reader).take(DATA_CHUNK as u64).read_until(b'\n', &mut chunk).await? == 0 {
            return Ok(None);
        }
        let mut piece = chunk.as_slice();
        if at_line_start {
            if piece == b".\r\n" || piece == b".\n" {
                return Ok(Some(message));
            }
            piece = piece.strip_prefix(b".").unwrap_or(piece);
        }
        at_line_start = piece.ends_with(b"\n");
        if let Some(kept) = &mut message {
            if kept.len() + piece.len() > max_bytes {
                message = None;
            } else {
                kept.extend_from_slice(piece);
            }
        }
    }
}

/// `FROM:<path> params` (the keyword in any case, a space allowed after the
/// colon) into the path and the rest.
fn path_argument<'a>(arg: &'a str, keyword: &str) -> Option<(&'a str, &'a str)> {
    let head = arg.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg[keyword.len()..].trim_start().strip_prefix('<')?;
    let (path, params) = rest.split_once('>')?;
    let clean = path.len() <= MAX_PATH && !path.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<');
    clean.then_some((path, params))
}

fn is_mailbox(path: &str) -> bool {
    path.rsplit_once('@').is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty() && !local.contains('@'))
}

fn domain_of(path: &str) -> &str {
    path.rsplit_once('@').map_or("", |(_, domain)| domain)
}

/// `SIZE=n` (refused when over the limit) and `BODY=7BIT|8BITMIME`; nothing else.
fn mail_params(params: &str, config: &SmtpConfig) -> Result<(), &'static str> {
    for param in params.split_whitespace() {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        match key.to_ascii_uppercase().as_str() {
            "SIZE" => match value.parse::<usize>() {
                Ok(size) if size > config.max_message_bytes => return Err("552 5.3.4 Message size exceeds the limit"),
                Ok(_) => {}
                Err(_) => return Err("501 5.5.4 Bad SIZE value"),
            },
            "BODY" if value.eq_ignore_ascii_case("7BIT") || value.eq_ignore_ascii_case("8BITMIME") => {}
            _ => return Err("555 5.5.4 MAIL FROM parameter not supported"),
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "smtp_tests.rs"]
mod tests;
