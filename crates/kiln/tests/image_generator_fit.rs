//! `ImageDataGenerator.flow(...)` and `flow_from_directory(...)` feeding
//! `Model::fit_dataset` (Keras's `model.fit(datagen.flow(x, y))`).

use std::path::Path;

use kiln::layers::{Dense, Flatten};
use kiln::models::{CompileArgs, FitArgs, Model};
use kiln_data::preprocessing::image::{
    FlowArgs, FlowFromDirectoryArgs, ImageDataGenerator, ImageDataGeneratorArgs,
};
use kiln_tensor::{DType, Tensor};

#[test]
fn fit_on_an_augmenting_flow() -> kiln::Result<()> {
    let x = kiln_tensor::random::Generator::from_seed(1).uniform(
        &[12, 6, 6, 1],
        0.0,
        255.0,
        DType::F32,
    )?;
    let y = Tensor::from_vec(
        (0..12).map(|i| (i % 2) as f32).collect::<Vec<_>>(),
        &[12, 1],
    )?;
    let g = ImageDataGenerator::new(ImageDataGeneratorArgs {
        rotation_range: 10.0,
        horizontal_flip: true,
        rescale: Some(1.0 / 255.0),
        ..Default::default()
    })?;
    let ds = g
        .flow(&x, Some(&y), FlowArgs::new().batch_size(5).seed(3))?
        .to_dataset();
    assert_eq!(ds.cardinality().as_i64(), 3);
    let mut model = Model::sequential(vec![
        Flatten::new().input_shape(&[6, 6, 1]).into(),
        Dense::new(1).activation("sigmoid").into(),
    ])?;
    model.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("binary_crossentropy"),
    )?;
    let h = model.fit_dataset(&ds, FitArgs::new().epochs(3).verbose(0))?;
    assert_eq!(h.history["loss"].len(), 3);
    assert!(h.history["loss"].iter().all(|l| l.is_finite()));
    Ok(())
}

#[test]
fn fit_on_flow_from_directory() -> kiln::Result<()> {
    let tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/golden/fixtures/dirtree");
    let g = ImageDataGenerator::new(ImageDataGeneratorArgs {
        rescale: Some(1.0 / 255.0),
        ..Default::default()
    })?;
    let it = g.flow_from_directory(
        &tree,
        FlowFromDirectoryArgs::new()
            .target_size(8, 8)
            .batch_size(4)
            .classes(&["apple", "banana"])
            .class_mode(Some("binary"))
            .seed(0),
    )?;
    assert_eq!((it.samples(), it.len()), (8, 2));
    let mut model = Model::sequential(vec![
        Flatten::new().input_shape(&[8, 8, 3]).into(),
        Dense::new(1).activation("sigmoid").into(),
    ])?;
    model.compile(
        CompileArgs::new()
            .optimizer("sgd")
            .loss("binary_crossentropy"),
    )?;
    let h = model.fit_dataset(&it.to_dataset(), FitArgs::new().epochs(2).verbose(0))?;
    assert_eq!(h.history["loss"].len(), 2);
    Ok(())
}
