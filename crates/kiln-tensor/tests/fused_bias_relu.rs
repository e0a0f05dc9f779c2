//! `bias_add_relu` equals `relu(bias_add(x, b))`: values, first and second gradients.

use kiln_tensor::random::Generator;
use kiln_tensor::{DType, GradientTape, Tensor};

#[test]
fn fused_bias_relu_matches_the_composition() {
    let mut g = Generator::from_seed(3);
    for shape in [vec![5, 4], vec![2, 3, 3, 8], vec![70_000, 16]] {
        let c = *shape.last().unwrap();
        let x = g.normal(&shape, 0.0, 1.0, DType::F32).unwrap();
        let b = g.normal(&[c], 0.0, 1.0, DType::F32).unwrap();
        let dy = g.normal(&shape, 0.0, 1.0, DType::F32).unwrap();
        let run = |fused: bool| {
            let tape = GradientTape::new();
            tape.watch(&x);
            tape.watch(&b);
            let y = if fused {
                x.bias_add_relu(&b).unwrap()
            } else {
                x.bias_add(&b).unwrap().relu().unwrap()
            };
            let gr = tape
                .gradient_with(&[&y], &[&x, &b], Some(std::slice::from_ref(&dy)))
                .unwrap();
            (y, gr[0].clone().unwrap(), gr[1].clone().unwrap())
        };
        let (y1, gx1, gb1) = run(true);
        let (y2, gx2, gb2) = run(false);
        assert_eq!(y1.to_vec::<f32>().unwrap(), y2.to_vec::<f32>().unwrap());
        assert_eq!(gx1.to_vec::<f32>().unwrap(), gx2.to_vec::<f32>().unwrap());
        for (a, b) in gb1
            .to_vec::<f32>()
            .unwrap()
            .iter()
            .zip(gb2.to_vec::<f32>().unwrap())
        {
            assert!((a - b).abs() <= 1e-3 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }
    // f64 and bad shapes take the composed path / its errors.
    let x = Tensor::ones(&[2, 3], DType::F64);
    let b = Tensor::from_vec(vec![-2.0f64, 0.0, 1.0], &[3]).unwrap();
    assert_eq!(
        x.bias_add_relu(&b).unwrap().to_vec::<f64>().unwrap(),
        vec![0.0, 1.0, 2.0, 0.0, 1.0, 2.0]
    );
    assert!(x.bias_add_relu(&Tensor::ones(&[2], DType::F64)).is_err());
}
