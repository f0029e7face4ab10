//! The chunked decoder, fed whole and in pieces, re-chunking and de-chunking.
//!
//! Input: one byte `n`, then `n` bytes that give the sizes of the pieces the body is fed in
//! (cycled), then the chunked body (and whatever follows it on the connection).
//! Invariants:
//! - the same input fed in any pieces gives the same result as fed whole: same output, same
//!   error or success, same leftover after the body (the next message's bytes);
//! - the count `decode` returns is the number of body bytes, the de-chunked output's length;
//! - re-chunked output is valid chunked coding: it decodes (de-chunked) to exactly the bytes the
//!   de-chunked output has, with nothing left over, and re-chunks to itself.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use wicket::http::body::{ChunkedDecoder, Encoding};

/// What decoding a whole input produced.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// The body ended; the output, the body byte count, and the bytes after the body.
    Done(Vec<u8>, u64, Vec<u8>),
    /// All input used, the body not finished yet; the output so far.
    Incomplete(Vec<u8>, u64),
    /// Malformed.
    Error,
}

/// Feeds `input` in pieces of the given sizes (cycled), stopping when the body is done.
fn decode(input: &[u8], pieces: &[usize], encoding: Encoding) -> Outcome {
    let mut decoder = ChunkedDecoder::new(encoding);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut count = 0u64;
    let mut fed = 0;
    let mut sizes = pieces.iter().cycle();
    while fed < input.len() {
        let step = (*sizes.next().unwrap_or(&input.len())).clamp(1, input.len() - fed);
        buf.extend_from_slice(&input[fed..fed + step]);
        fed += step;
        match decoder.decode(&mut buf, &mut out) {
            Ok(n) => count += n,
            Err(_) => return Outcome::Error,
        }
        if decoder.is_done() {
            return Outcome::Done(out, count, [&buf[..], &input[fed..]].concat());
        }
    }
    Outcome::Incomplete(out, count)
}

/// The input for a message, shortened: a long one would bury the message.
fn show(bytes: &[u8]) -> String {
    let text = format!("{:?}", String::from_utf8_lossy(bytes));
    let chars: Vec<char> = text.chars().collect();
    if chars.len() > 400 {
        let head: String = chars[..200].iter().collect();
        let tail: String = chars[chars.len() - 100..].iter().collect();
        format!("{head}...{tail} ({} bytes)", bytes.len())
    } else {
        text
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = (n as usize).min(rest.len());
    let (sizes, body) = rest.split_at(n);
    // Piece sizes 1..=256; a zero byte means "the rest at once".
    let pieces: Vec<usize> = sizes
        .iter()
        .map(|&b| if b == 0 { usize::MAX } else { b as usize })
        .collect();
    let pieces = if pieces.is_empty() { vec![1] } else { pieces };

    for encoding in [Encoding::Identity, Encoding::Chunked] {
        let whole = decode(body, &[usize::MAX], encoding);
        let split = decode(body, &pieces, encoding);
        assert_eq!(
            whole,
            split,
            "{encoding:?}: fed whole and in pieces {pieces:?} differ on {}",
            show(body)
        );
        let byte_by_byte = decode(body, &[1], encoding);
        assert_eq!(
            whole,
            byte_by_byte,
            "{encoding:?}: fed whole and byte by byte differ on {}",
            show(body)
        );
    }

    let plain = decode(body, &[usize::MAX], Encoding::Identity);
    let rechunked = decode(body, &[usize::MAX], Encoding::Chunked);
    match (&plain, &rechunked) {
        (Outcome::Done(plain, count, rest), Outcome::Done(chunks, count2, rest2)) => {
            assert_eq!(*count, plain.len() as u64, "count is not the body length");
            assert_eq!(count, count2, "re-chunking counts other body bytes");
            assert_eq!(rest, rest2, "re-chunking leaves other bytes");
            assert_eq!(
                decode(chunks, &[usize::MAX], Encoding::Identity),
                Outcome::Done(plain.clone(), *count, Vec::new()),
                "re-chunked output does not de-chunk to the body: {}",
                show(chunks)
            );
            assert_eq!(
                decode(chunks, &[usize::MAX], Encoding::Chunked),
                Outcome::Done(chunks.clone(), *count, Vec::new()),
                "re-chunked output does not re-chunk to itself"
            );
        }
        (Outcome::Error, Outcome::Error) => {}
        (Outcome::Incomplete(_, count), Outcome::Incomplete(_, count2)) => {
            assert_eq!(count, count2);
        }
        _ => panic!("de-chunking and re-chunking disagree: {plain:?} vs {rechunked:?}"),
    }
});
