//! Regenerates `crates/kiln-onnx/src/proto/onnx.rs` from `crates/kiln-onnx/proto/onnx.proto`.
//!
//! Run from the repository root (protoc on PATH or in `$PROTOC`):
//! `cargo run --manifest-path tools/onnx-protogen/Cargo.toml`
fn main() -> std::io::Result<()> {
    let out = std::path::Path::new("crates/kiln-onnx/src/proto");
    std::fs::create_dir_all(out)?;
    prost_build::Config::new()
        .out_dir(out)
        .compile_protos(&["crates/kiln-onnx/proto/onnx.proto"], &["crates/kiln-onnx/proto"])?;
    Ok(())
}
