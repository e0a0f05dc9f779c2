//! Write with `FileBuilder`, read back with `File`. (That h5py and Keras
//! read the writer's files is checked by `tools/golden/check_hdf5_written.py`;
//! see the crate README.)

use kiln_hdf5::{AttrValue, DType, Data, Error, File, FileBuilder};

fn reopen(b: &FileBuilder) -> File {
    File::from_bytes(b.to_bytes().unwrap()).unwrap()
}

#[test]
fn all_dataset_types_roundtrip() {
    let mut b = FileBuilder::new();
    let r = b.root_mut();
    r.create_dataset(
        "f32",
        &[2, 3],
        vec![1.5f32, -2.0, 0.0, f32::MAX, f32::MIN_POSITIVE, -0.0],
    )
    .unwrap();
    r.create_dataset("f64", &[3], vec![1e-300, std::f64::consts::E, -1.0])
        .unwrap();
    r.create_dataset("i64", &[2], vec![i64::MIN, i64::MAX])
        .unwrap();
    r.create_dataset("i32", &[1, 1, 2], vec![i32::MIN, 5])
        .unwrap();
    r.create_dataset("u8", &[3], vec![0u8, 128, 255]).unwrap();
    r.create_dataset(
        "fixed",
        &[2],
        Data::FixedStrings(vec!["hello".into(), "é".into()]),
    )
    .unwrap();
    r.create_dataset(
        "vlen",
        &[3],
        Data::VarStrings(vec!["".into(), "a".into(), "long string ✓".into()]),
    )
    .unwrap();
    r.create_dataset("scalar", &[], vec![42i64]).unwrap();
    r.create_dataset("empty", &[0, 4], Vec::<f32>::new())
        .unwrap();
    let f = reopen(&b);
    let root = f.root();
    let d = root.dataset("f32").unwrap();
    assert_eq!((d.shape(), d.dtype()), (&[2usize, 3][..], DType::F32));
    assert_eq!(
        d.read_f32().unwrap(),
        vec![1.5f32, -2.0, 0.0, f32::MAX, f32::MIN_POSITIVE, -0.0]
    );
    assert_eq!(
        root.dataset("f64").unwrap().read_f64().unwrap(),
        vec![1e-300, std::f64::consts::E, -1.0]
    );
    assert_eq!(
        root.dataset("i64").unwrap().read_i64().unwrap(),
        vec![i64::MIN, i64::MAX]
    );
    let d = root.dataset("i32").unwrap();
    assert_eq!((d.shape(), d.dtype()), (&[1usize, 1, 2][..], DType::I32));
    assert_eq!(d.read_i64().unwrap(), vec![i64::from(i32::MIN), 5]);
    assert_eq!(
        root.dataset("u8").unwrap().read_raw().unwrap(),
        vec![0, 128, 255]
    );
    let d = root.dataset("fixed").unwrap();
    assert_eq!(d.dtype(), DType::FixedString(5));
    assert_eq!(d.read_strings().unwrap(), vec!["hello", "é"]);
    let d = root.dataset("vlen").unwrap();
    assert_eq!(d.dtype(), DType::VarString);
    assert_eq!(d.read_strings().unwrap(), vec!["", "a", "long string ✓"]);
    let d = root.dataset("scalar").unwrap();
    assert!(d.shape().is_empty());
    assert_eq!(d.len(), 1);
    assert_eq!(d.read_i64().unwrap(), vec![42]);
    let d = root.dataset("empty").unwrap();
    assert_eq!(d.shape(), &[0, 4]);
    assert!(d.is_empty());
    assert!(d.read_f32().unwrap().is_empty());
}

#[test]
fn attributes_roundtrip() {
    let values = vec![
        ("s", AttrValue::String("model config {\"a\": 1}".into())),
        ("empty_s", AttrValue::String(String::new())),
        (
            "names",
            AttrValue::Strings(vec!["dense".into(), "dense_1".into(), "ü".into()]),
        ),
        ("no_names", AttrValue::Strings(vec![])),
        ("i", AttrValue::Int(-5)),
        ("is", AttrValue::Ints(vec![1, 2, 3])),
        ("f", AttrValue::Float(0.1)),
        ("fs", AttrValue::Floats(vec![f64::INFINITY, -0.5])),
        ("b", AttrValue::Bool(true)),
        ("bs", AttrValue::Bools(vec![false, true])),
        ("nothing", AttrValue::Empty),
    ];
    let mut b = FileBuilder::new();
    let d = b
        .root_mut()
        .create_dataset("d", &[1], vec![1.0f32])
        .unwrap();
    for (n, v) in &values {
        d.set_attr(n, v.clone()).unwrap();
    }
    let g = b.root_mut().create_group("g").unwrap();
    for (n, v) in &values {
        g.set_attr(n, v.clone()).unwrap();
    }
    let f = reopen(&b);
    let mut sorted: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
    sorted.sort();
    let d = f.root().dataset("d").unwrap();
    let g = f.root().group("g").unwrap();
    assert_eq!(d.attr_names().unwrap(), sorted);
    assert_eq!(g.attr_names().unwrap(), sorted);
    for (n, v) in &values {
        assert_eq!(&d.attr(n).unwrap(), v, "{n}");
        assert_eq!(&g.attr(n).unwrap(), v, "{n}");
    }
    assert_eq!(g.attr_dtype("s").unwrap(), DType::VarString);
    assert_eq!(g.attr_dtype("names").unwrap(), DType::FixedString(7));
    assert_eq!(g.attr_dtype("b").unwrap(), DType::Bool);
}

#[test]
fn groups_nested_empty_and_many() {
    let mut b = FileBuilder::new();
    let r = b.root_mut();
    r.create_group("empty").unwrap();
    let mut path = String::new();
    for i in 0..40 {
        path.push_str(&format!("level{i}/"));
    }
    r.create_group(&path)
        .unwrap()
        .create_dataset("x", &[1], vec![1u8])
        .unwrap();
    let many = r.create_group("many").unwrap();
    // 2000 members: 250 symbol nodes -> 8 level-0 B-tree nodes -> a level-1 root
    for i in (0..2000).rev() {
        many.create_dataset(&format!("m{i}"), &[], vec![i as i64])
            .unwrap();
    }
    let f = reopen(&b);
    let root = f.root();
    assert_eq!(
        root.member_names().unwrap(),
        vec!["empty", "level0", "many"]
    );
    assert!(root
        .group("empty")
        .unwrap()
        .member_names()
        .unwrap()
        .is_empty());
    let leaf = root.dataset(&format!("{path}x")).unwrap();
    assert_eq!(leaf.path(), format!("/{path}x"));
    let many = root.group("many").unwrap();
    let names = many.member_names().unwrap();
    let mut want: Vec<String> = (0..2000).map(|i| format!("m{i}")).collect();
    want.sort();
    assert_eq!(names, want);
    for i in [0, 1, 999, 1999] {
        assert_eq!(
            many.dataset(&format!("m{i}")).unwrap().read_i64().unwrap(),
            vec![i]
        );
    }
    assert!(root.is_group("many").unwrap());
    assert!(many.is_dataset("m5").unwrap());
    assert!(!many.is_dataset("nope").unwrap());
    assert!(root.get("/many/m7").unwrap().is_dataset());
}

#[test]
fn write_is_atomic_and_replaces() {
    let dir = std::env::temp_dir().join(format!("kiln_hdf5_rt_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("m.h5");
    let mut b = FileBuilder::new();
    b.root_mut().create_dataset("v", &[1], vec![1i64]).unwrap();
    b.write(&path).unwrap();
    let mut b = FileBuilder::new();
    b.root_mut().create_dataset("v", &[1], vec![2i64]).unwrap();
    b.write(&path).unwrap();
    assert_eq!(
        File::open(&path)
            .unwrap()
            .root()
            .dataset("v")
            .unwrap()
            .read_i64()
            .unwrap(),
        vec![2]
    );
    // no temporary files left behind
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn writer_rejects_bad_input() {
    let mut b = FileBuilder::new();
    let r = b.root_mut();
    assert!(matches!(
        r.create_dataset("x", &[2, 2], vec![1.0f32]),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(r.create_group(""), Err(Error::InvalidArgument(_))));
    assert!(matches!(
        r.create_group("."),
        Err(Error::InvalidArgument(_))
    ));
    r.create_dataset("d", &[1], vec![1u8]).unwrap();
    assert!(matches!(
        r.create_group("d"),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        r.create_group("d/sub"),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        r.set_attr("", 1i64),
        Err(Error::InvalidArgument(_))
    ));
    // a 70 kB attribute does not fit an object header message
    r.set_attr("huge", "x".repeat(70_000)).unwrap(); // vlen: only a heap reference in the header
    r.set_attr("huge_fixed", AttrValue::Strings(vec!["y".repeat(70_000)]))
        .unwrap();
    let err = b.to_bytes().unwrap_err();
    assert!(err.to_string().contains("huge_fixed"), "{err}");
    assert!(err.to_string().contains("split"), "{err}");
}

#[test]
fn reader_errors_say_what_and_where() {
    assert!(matches!(File::from_bytes(vec![]), Err(Error::NotHdf5)));
    let mut b = FileBuilder::new();
    b.root_mut()
        .create_dataset("layers/dense/vars/0", &[4, 3], vec![0.5f32; 12])
        .unwrap();
    let bytes = b.to_bytes().unwrap();
    let f = File::from_bytes(bytes.clone()).unwrap();
    let err = f.root().dataset("layers/dense/vars/1").unwrap_err();
    assert!(matches!(err.root_cause(), Error::NotFound(_)));
    assert!(
        err.to_string()
            .contains("'1' in group '/layers/dense/vars'"),
        "{err}"
    );
    let err = f.root().dataset("layers/dense").unwrap_err();
    assert!(matches!(err.root_cause(), Error::TypeMismatch(_)), "{err}");
    let err = f
        .root()
        .dataset("layers/dense/vars/0")
        .unwrap()
        .read_strings()
        .unwrap_err();
    assert!(
        err.to_string().contains("dataset '/layers/dense/vars/0'"),
        "{err}"
    );
    // cut the file inside the data: reading says where the data should be
    let d = f.root().dataset("layers/dense/vars/0").unwrap();
    let data_at = bytes
        .windows(8)
        .position(|w| w == [0, 0, 0, 0x3f, 0, 0, 0, 0x3f])
        .unwrap();
    let cut = File::from_bytes(bytes[..data_at + 20].to_vec()).unwrap();
    let err = match cut.root().dataset("layers/dense/vars/0") {
        Ok(d) => d.read_f32().unwrap_err(),
        Err(e) => e,
    };
    assert!(err.to_string().contains("past end of file"), "{err}");
    drop(d);
    // unknown object header version
    let mut bad = bytes.clone();
    let root_hdr = u64::from_le_bytes(bad[64..72].try_into().unwrap()) as usize;
    bad[root_hdr] = 7;
    let err = File::from_bytes(bad)
        .unwrap()
        .root()
        .member_names()
        .unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "object header at 0x{root_hdr:x}: unknown version 7"
        )),
        "{err}"
    );
    // 4-byte offsets are rejected with a clear error
    let mut bad = bytes;
    bad[13] = 4;
    let err = File::from_bytes(bad).unwrap_err();
    assert!(err.to_string().contains("4-byte offsets"), "{err}");
}

#[test]
fn read_limit_is_enforced() {
    let mut b = FileBuilder::new();
    b.root_mut()
        .create_dataset("big", &[1000], vec![0.0f64; 1000])
        .unwrap();
    let f = File::from_bytes_with_limit(b.to_bytes().unwrap(), 4000).unwrap();
    let err = f.root().dataset("big").unwrap().read_f64().unwrap_err();
    assert!(matches!(err.root_cause(), Error::LimitExceeded(_)), "{err}");
}
