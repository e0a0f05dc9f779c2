//! S004-10: the collapse check on S004-9's trained model: the product of the kernels is
//! one linear map (`reduce(matmul, model.variables)`), and the model equals `x @ W`
//! everywhere (`reduce_all(|model(x) - x @ W| < 1e-6)`).

#[path = "common/seed004_layers.rs"]
mod layers;
#[path = "common/seed004.rs"]
mod seed004;

use kiln_tensor::Tensor;

fn main() -> kiln::Result<()> {
    let (x, y) = seed004::data();
    let (model, _) = layers::dense_regression(&x, &y)?;
    let reduced = seed004::reduce_matmul(&model.weights())?;
    println!("{reduced}");
    let diff = model.call(&x)?.sub(&x.matmul(&reduced)?)?.abs()?;
    let all_close = diff.less(&Tensor::scalar(1e-6f32))?.all(&[], false)?;
    println!("{all_close}");
    seed004::assert_recovers("S004-10", &reduced, 1e-2);
    if !all_close.item::<bool>()? {
        eprintln!("S004-10: the two Dense layers are not one linear map");
        std::process::exit(1);
    }
    Ok(())
}
