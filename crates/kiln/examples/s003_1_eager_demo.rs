//! S003-1: the eager-execution demo: operations run immediately and print their values.

use kiln_tensor::Tensor;

fn main() -> kiln_tensor::Result<()> {
    // tf.executing_eagerly() is always true in kiln: there is no graph mode yet.
    println!("True");
    let a = Tensor::from_vec(vec![1i32, 2, 3], &[3])?;
    let b = Tensor::from_vec(vec![4i32, 5, 6], &[3])?;
    println!("{}", a.add(&b)?);
    Ok(())
}
