//! Micro-benchmarks of the per-request hot paths: request and response head parsing and
//! rewriting, and rule lookups in a 100 000-rule blocklist. `cargo bench`; the side-by-side
//! benchmark against a direct connection and tinyproxy is bench/run.sh.

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use wicket::http::body::{ChunkedDecoder, Encoding};
use wicket::http::{request, response, Version};
use wicket::rules::{normalize_host, Rule, RuleSet};

/// What a browser sends for a page through a proxy.
const REQUEST: &str =
    "GET http://www.example.com/articles/2026/11/proxy.html?utm_source=x HTTP/1.1\r\n\
Host: www.example.com\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
Accept-Language: en-US,en;q=0.5\r\n\
Accept-Encoding: gzip, deflate, br\r\n\
Connection: keep-alive\r\n\
Proxy-Connection: keep-alive\r\n\
Cookie: session=abc123; theme=dark; consent=yes\r\n\
Upgrade-Insecure-Requests: 1\r\n\
Sec-Fetch-Dest: document\r\n\
Sec-Fetch-Mode: navigate\r\n\
Priority: u=0, i\r\n\r\n";

/// What nginx answers for a static file.
const RESPONSE: &str = "HTTP/1.1 200 OK\r\n\
Server: nginx/1.22.1\r\n\
Date: Wed, 25 Nov 2026 20:30:00 GMT\r\n\
Content-Type: text/html\r\n\
Content-Length: 1024\r\n\
Last-Modified: Wed, 25 Nov 2026 20:29:00 GMT\r\n\
Connection: keep-alive\r\n\
ETag: \"6566f0a4-400\"\r\n\
Accept-Ranges: bytes\r\n\r\n";

fn heads(c: &mut Criterion) {
    let mut group = c.benchmark_group("heads");
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse and rewrite a request head", |b| {
        let mut out = Vec::with_capacity(1024);
        b.iter(|| {
            let mut buf = BytesMut::from(REQUEST);
            let head = request::parse(&mut buf).unwrap().unwrap();
            out.clear();
            head.write_upstream(&mut out);
            black_box(&out);
        })
    });
    group.bench_function("parse and rewrite a response head", |b| {
        let mut out = Vec::with_capacity(1024);
        b.iter(|| {
            let mut buf = BytesMut::from(RESPONSE);
            let head = response::parse(&mut buf, false).unwrap().unwrap();
            out.clear();
            let outbound = head.outbound(Version::Http11);
            head.write_client(&mut out, Version::Http11, outbound, true);
            black_box(&out);
        })
    });
    group.finish();
}

fn rules(c: &mut Criterion) {
    let list = RuleSet::new(
        (0..100_000).map(|i| Rule::parse(&format!("site{i}.example-{}.test", i % 97)).unwrap()),
    );
    let mut group = c.benchmark_group("100 000-rule blocklist");
    group.throughput(Throughput::Elements(1));
    group.bench_function("lookup, not blocked (4 labels)", |b| {
        b.iter(|| black_box(list.matches(black_box("static.cdn.example.org"))))
    });
    group.bench_function("lookup, blocked subdomain", |b| {
        b.iter(|| black_box(list.matches(black_box("www.site99999.example-89.test"))))
    });
    group.bench_function("normalize and look up a mixed-case host", |b| {
        b.iter(|| black_box(list.matches(&normalize_host(black_box("WWW.Example.ORG.")))).is_some())
    });
    group.finish();
    c.bench_function("build a 100 000-rule blocklist", |b| {
        let texts: Vec<String> = (0..100_000)
            .map(|i| format!("site{i}.example-{}.test", i % 97))
            .collect();
        b.iter(|| RuleSet::new(texts.iter().map(|t| Rule::parse(t).unwrap())))
    });
}

fn chunked(c: &mut Criterion) {
    let mut body = Vec::new();
    for _ in 0..8 {
        body.extend_from_slice(b"2000\r\n");
        body.extend_from_slice(&[b'x'; 0x2000]);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    let mut group = c.benchmark_group("chunked");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("re-chunk a 64 KiB body", |b| {
        let mut out = Vec::with_capacity(70_000);
        b.iter(|| {
            let mut input = BytesMut::from(&body[..]);
            let mut decoder = ChunkedDecoder::new(Encoding::Chunked);
            out.clear();
            decoder.decode(&mut input, &mut out).unwrap();
            assert!(decoder.is_done());
        })
    });
    group.finish();
}

criterion_group!(benches, heads, rules, chunked);
criterion_main!(benches);
