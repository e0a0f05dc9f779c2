//! S003-44: an MLP with BatchNormalization (Flatten -> Dense(128, relu) ->
//! BatchNormalization -> Dense(10, softmax)); prints the summary (the seed only defines
//! it).

use kiln::layers::{BatchNormalization, Dense, Flatten};
use kiln::models::Model;

fn main() -> kiln::Result<()> {
    let model = Model::sequential(vec![
        Flatten::new().input_shape(&[28, 28]).into(),
        Dense::new(128).activation("relu").into(),
        BatchNormalization::new().into(),
        Dense::new(10).activation("softmax").into(),
    ])?;
    model.summary();
    Ok(())
}
