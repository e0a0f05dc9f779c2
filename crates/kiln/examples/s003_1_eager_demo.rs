//! S003-1: the eager-execution demo: operations run immediately and print their values.

use kiln_tensor::Tensor;

fn main() -> kiln_tensor::Result<()> {
    // tf.executing_eagerly(): true outside a traced function (kiln::function).
    println!(
        "{}",
        if kiln::executing_eagerly() {
            "True"
        } else {
            "False"
        }
    );
    let a = Tensor::from_vec(vec![1i32, 2, 3], &[3])?;
    let b = Tensor::from_vec(vec![4i32, 5, 6], &[3])?;
    println!("{}", a.add(&b)?);
    Ok(())
}
