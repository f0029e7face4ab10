//! Inputs the fuzz targets (fuzz/) found, kept as tests. Each input is stored as found, in its
//! fuzz target's input format, under fuzz/regressions/<target>/; the fuzz smoke run
//! (scripts/fuzz-smoke.sh) replays those files through the targets as well.

use bytes::BytesMut;
use wicket::http::body::{ChunkedDecoder, Encoding};

/// A saved finding: the input file of fuzz target `target`.
fn finding(target: &str, name: &str) -> Vec<u8> {
    let path = format!(
        "{}/fuzz/regressions/{target}/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The body of a `chunked` target input: a count `n`, `n` piece sizes, then the body.
fn chunked_body(input: &[u8]) -> &[u8] {
    let n = input[0] as usize;
    &input[1 + n..]
}

/// Decodes `input` fed `step` bytes at a time, as reads from a socket would bring it.
/// Ok: the body ended, with this output; Err: why not.
fn decode_in_pieces(input: &[u8], step: usize, encoding: Encoding) -> Result<Vec<u8>, String> {
    let mut decoder = ChunkedDecoder::new(encoding);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for piece in input.chunks(step) {
        buf.extend_from_slice(piece);
        decoder
            .decode(&mut buf, &mut out)
            .map_err(|e| e.to_string())?;
        if decoder.is_done() {
            return Ok(out);
        }
    }
    Err("incomplete".into())
}

/// Whether a chunked body is accepted must not depend on how its bytes arrive: the same body
/// refused when it comes in small reads and accepted when it comes in one read is decided by
/// TCP segmentation, not by the proxy's rules.
fn assert_same_however_it_arrives(body: &[u8]) {
    for encoding in [Encoding::Identity, Encoding::Chunked] {
        let at_once = decode_in_pieces(body, body.len(), encoding);
        for step in [255, 4096] {
            let in_pieces = decode_in_pieces(body, step, encoding);
            assert_eq!(
                at_once.as_ref().map(Vec::len),
                in_pieces.as_ref().map(Vec::len),
                "{encoding:?}: fed at once vs. in pieces of {step} bytes"
            );
        }
    }
}

/// Found by the `chunked` target: a chunk-size line (with an extension) longer than 4096 bytes
/// is refused ("chunk-size line too long") when it arrives in pieces, accepted when it arrives
/// in one read (the saved input has a 6002-byte line). The limit in `ChunkedDecoder::decode` (src/http/body.rs, `State::Size`) is only
/// checked while the line is incomplete, not on a complete line.
#[test]
fn chunk_size_line_limit_does_not_depend_on_read_sizes() {
    let input = finding("chunked", "long-chunk-size-line");
    assert_same_however_it_arrives(chunked_body(&input));
}

/// The same for trailers (found while minimizing the above): a trailer section over 64 KiB
/// (80 KiB here) is refused ("trailers too large") when
/// it arrives in pieces, accepted in one read (`State::Trailers` checks only partial input).
#[test]
fn trailer_limit_does_not_depend_on_read_sizes() {
    let input = finding("chunked", "long-trailer");
    assert_same_however_it_arrives(chunked_body(&input));
}

/// Found by the `import` target: a hosts file's own name written with a trailing dot
/// (`ip6-allhosts.`) became a rule, though the same name without the dot is skipped as a name
/// the system maps for itself; importing the imported list then gave another list. A name
/// with a trailing dot is the same name (`localhost.` must never become a rule that blocks
/// this computer's own sites).
#[test]
fn a_hosts_files_own_names_are_skipped_with_a_trailing_dot_too() {
    let input = finding("import", "own-name-with-trailing-dot");
    let found = wicket::import::import(&String::from_utf8_lossy(&input));
    let rules: Vec<String> = found.rules.iter().map(|r| r.to_string()).collect();
    assert_eq!(rules, ["0ads.ex"]);
    let again = wicket::import::import(&rules.join("\n"));
    assert_eq!(again.rules, found.rules);

    let hosts =
        wicket::import::import("0.0.0.0 localhost.\n0.0.0.0 LOCALHOST\n0.0.0.0 ads.example.\n");
    let rules: Vec<String> = hosts.rules.iter().map(|r| r.to_string()).collect();
    assert_eq!(rules, ["ads.example"]);
    assert_eq!(hosts.not_blocks, 2);
}
