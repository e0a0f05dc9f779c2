//! A Keras user's first day, program 4: tf.data pipelines for images (seeded augmentation
//! in map, cache, shuffle, batch, prefetch) and for text (TextVectorization in map) (the
//! Keras original: `data_pipelines.py`).
use kiln::prelude::*;
use kiln_data::dataset::{Dataset, AUTOTUNE};
use kiln_data::{image, text::TextVectorization};

fn main() -> kiln::Result<()> {
    let ((x_train, y_train), _) = kiln_data::datasets::mnist::load_data()?;
    let x = x_train.rows(..4096)?.reshape(&[-1, 28, 28, 1])?;
    let images = Dataset::from_tensor_slices((x, y_train.rows(..4096)?))?;
    let augment = |image: Tensor, label: Tensor| {
        let image = image.cast(DType::F32)?.div_scalar(255.0)?;
        let image = image::random_flip_left_right(&image, Some(1))?;
        Ok((image::random_brightness(&image, 0.1, Some(2))?, label))
    };
    let images = images.map_xy(augment).cache().shuffle(1024).batch(64)?.prefetch(AUTOTUNE);
    let mut cnn = Model::sequential(vec![
        Input::shape(&[28, 28, 1]).into(),
        Conv2D::new(8, 3).activation("relu").into(),
        GlobalAveragePooling2D::new().into(),
        Dense::new(10).activation("softmax").into(),
    ])?;
    cnn.compile(
        CompileArgs::new()
            .optimizer("adam")
            .loss("sparse_categorical_crossentropy")
            .metrics(["accuracy"]),
    )?;
    cnn.fit_dataset(&images, FitArgs::new().epochs(2).verbose(2))?;

    let texts =
        ["the movie was great", "what a terrible film", "great acting, great story", "boring"];
    let labels = [1.0f32, 0.0, 1.0, 0.0];
    let mut vectorizer = TextVectorization::new().max_tokens(100).output_sequence_length(8);
    vectorizer.adapt(&texts)?;
    let (texts, labels) = (texts.repeat(64), labels.repeat(64));
    let data = (Tensor::from_strings(texts, &[256])?, Tensor::from_vec(labels, &[256, 1])?);
    let reviews = Dataset::from_tensor_slices(data)?.shuffle(256).batch(32)?;
    let tv = vectorizer.clone();
    let reviews = reviews.map_xy(move |x, y| Ok((tv.call_tensor(&x)?, y))).prefetch(AUTOTUNE);
    let mut classifier = Model::sequential(vec![
        Input::new(&[Some(8)]).dtype(DType::I64).build().into(),
        Embedding::new(100, 16).into(),
        GlobalAveragePooling1D::new().into(),
        Dense::new(1).activation("sigmoid").into(),
    ])?;
    classifier.compile(
        CompileArgs::new().optimizer("adam").loss("binary_crossentropy").metrics(["accuracy"]),
    )?;
    classifier.fit_dataset(&reviews, FitArgs::new().epochs(5).verbose(2))?;
    let query = vectorizer.call_tensor(&Tensor::from_strings(vec!["a great film"], &[1])?)?;
    println!("{}", classifier.predict(&query, PredictArgs::new().verbose(0))?);
    Ok(())
}
