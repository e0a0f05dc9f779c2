//! S003-6: two CNN branches (Conv32 -> Pool -> Flatten on separate 32x32x1 inputs, each its
//! own Model), concatenated, then Dense(64, relu) -> Dense(1, linear); prints the summary.

use kiln::layers::{concatenate, Conv2D, Dense, Flatten, Input, LayerApply, MaxPooling2D};
use kiln::models::Model;

fn branch() -> kiln::Result<Model> {
    let input = Input::shape(&[32, 32, 1]);
    let x = Conv2D::new(32, 3).activation("relu").apply(&input)?;
    let x = MaxPooling2D::new(2).apply(&x)?;
    let x = Flatten::new().apply(&x)?;
    Model::new(&[input], &[x])
}

fn main() -> kiln::Result<()> {
    let (x, y) = (branch()?, branch()?);
    let combined = concatenate(&vec![x.outputs()[0].clone(), y.outputs()[0].clone()])?;
    let z = Dense::new(64).activation("relu").apply(&combined)?;
    let z = Dense::new(1).activation("linear").apply(&z)?;
    let model = Model::new(&[x.inputs()[0].clone(), y.inputs()[0].clone()], &[z])?;
    model.summary();
    Ok(())
}
