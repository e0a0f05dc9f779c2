//! Writes the files that `tools/golden/check_hdf5_written.py` verifies with
//! h5py (and Keras). Usage:
//!
//! ```sh
//! cargo run -p kiln-hdf5 --example write_check_files -- /tmp/kiln_hdf5_check
//! /work/venv-tf/bin/python tools/golden/check_hdf5_written.py /tmp/kiln_hdf5_check
//! ```

use kiln_hdf5::{AttrValue, Data, File, FileBuilder, Node};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: write_check_files DIR")?;
    std::fs::create_dir_all(&dir)?;
    let dir = std::path::Path::new(&dir);

    // 1. every dtype, attribute kind, empty group, deep nesting
    let mut b = FileBuilder::new();
    let root = b.root_mut();
    root.set_attr("title", "kiln writer")?;
    root.set_attr("unicode", "été ✓")?;
    root.set_attr("empty_str", "")?;
    root.set_attr(
        "layer_names",
        AttrValue::Strings(vec![
            "dense".into(),
            "dense_1".into(),
            "batch_normalization".into(),
        ]),
    )?;
    root.set_attr("answer", 42i64)?;
    root.set_attr("ints", vec![1i64, -2, 3])?;
    root.set_attr("pi", std::f64::consts::PI)?;
    root.set_attr("floats", vec![0.5, -1.25])?;
    root.set_attr("flag", true)?;
    root.set_attr("flags", AttrValue::Bools(vec![true, false]))?;
    root.set_attr("nothing", AttrValue::Empty)?;
    root.set_attr("no_names", AttrValue::Strings(vec![]))?;
    let vars = root.create_group("layers/dense/vars")?;
    vars.set_attr("name", "dense")?;
    let kernel: Vec<f32> = (0..12).map(|i| i as f32 * 0.25 - 1.0).collect();
    vars.create_dataset("0", &[4, 3], kernel)?;
    vars.create_dataset("1", &[3], vec![0.1f32, 0.2, 0.3])?;
    root.create_group("empty_group")?;
    root.create_group("a/b/c/d/e/f/g/h/i/j")?
        .create_dataset("leaf", &[1], vec![7i64])?;
    let t = root.create_group("types")?;
    t.create_dataset(
        "f64",
        &[2, 3],
        vec![1.0, -2.0, 3.5, 1e300, -0.0, f64::MIN_POSITIVE],
    )?;
    t.create_dataset("i64", &[3], vec![i64::MIN, 0, i64::MAX])?;
    t.create_dataset("i32_scalar", &[], vec![-7i32])?;
    t.create_dataset("f64_scalar", &[], vec![2.5f64])?;
    t.create_dataset("u8", &[5], vec![0u8, 1, 127, 128, 255])?;
    t.create_dataset("empty_f32", &[0, 3], Vec::<f32>::new())?;
    t.create_dataset(
        "fixed_str",
        &[3],
        Data::FixedStrings(vec!["ab".into(), "cde".into(), "".into()]),
    )?;
    t.create_dataset(
        "vlen_str",
        &[3],
        Data::VarStrings(vec!["x".into(), "".into(), "hello wörld".into()]),
    )?
    .set_attr("unit", "metres")?
    .set_attr("scale", 0.5)?;
    b.write(dir.join("writer_basic.h5"))?;

    // 2. many members: 300 -> 38 symbol nodes -> two-level B-tree
    let mut b = FileBuilder::new();
    for i in 0..300 {
        b.root_mut()
            .create_dataset(&format!("d{i:03}"), &[1], vec![i as i64])?;
    }
    let g = b.root_mut().create_group("twenty")?;
    for i in 0..20 {
        g.create_group(&format!("g{i}"))?;
    }
    b.write(dir.join("writer_many.h5"))?;

    // 3. a Keras 3 weights file for Sequential([Input((4,)), Dense(3)])
    let mut b = FileBuilder::new();
    let root = b.root_mut();
    let vars = root.create_group("layers/dense/vars")?;
    vars.create_dataset(
        "0",
        &[4, 3],
        (0..12).map(|i| i as f32 / 10.0).collect::<Vec<_>>(),
    )?;
    vars.create_dataset("1", &[3], vec![1.0f32, 2.0, 3.0])?;
    root.create_group("vars")?;
    b.write(dir.join("writer_keras.weights.h5"))?;

    // 4. the legacy Keras fixture, read with our reader and written back
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/golden/fixtures/hdf5");
    let src = File::open(fixtures.join("tiny_legacy.h5"))?;
    let mut b = FileBuilder::new();
    copy_group(&src.root(), b.root_mut())?;
    b.write(dir.join("writer_legacy_copy.h5"))?;
    println!("wrote 4 files to {}", dir.display());
    Ok(())
}

fn copy_group(src: &kiln_hdf5::Group, dst: &mut kiln_hdf5::GroupBuilder) -> kiln_hdf5::Result<()> {
    for a in src.attr_names()? {
        dst.set_attr(&a, src.attr(&a)?)?;
    }
    for name in src.member_names()? {
        match src.get(&name)? {
            Node::Group(g) => copy_group(&g, dst.create_group(&name)?)?,
            Node::Dataset(d) => {
                let data = Data::F32(d.read_f32()?);
                let nd = dst.create_dataset(&name, d.shape(), data)?;
                for a in d.attr_names()? {
                    nd.set_attr(&a, d.attr(&a)?)?;
                }
            }
        }
    }
    Ok(())
}
