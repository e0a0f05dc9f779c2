//! Every CPU kernel path (`KILN_CPU=avx512|avx2|portable`) gives the portable path's
//! results within 1e-6 relative (f32). Paths this CPU lacks are skipped with a printed
//! note. One test, so no other test in this binary runs while the path is switched.

use kiln_tensor::cpu::dispatch::{available_cpu_paths, cpu_path, set_cpu_path, CpuPath};
use kiln_tensor::Tensor;

fn run_all(x: &Tensor) -> Vec<(&'static str, Vec<f32>)> {
    let v = |t: Tensor| t.to_vec::<f32>().unwrap();
    vec![
        ("exp", v(x.exp().unwrap())),
        ("tanh", v(x.tanh().unwrap())),
        ("softmax", v(x.softmax(-1).unwrap())),
        ("sum", v(x.sum(&[-1], false).unwrap())),
    ]
}

#[test]
fn every_path_matches_portable() {
    let n = 64 * 1000;
    let data: Vec<f32> = (0..n)
        .map(|i| ((i * 7919 % 1000) as f32 / 1000.0 - 0.5) * 8.0)
        .collect();
    let x = Tensor::from_vec(data, &[64, 1000]).unwrap();
    let before = cpu_path();
    set_cpu_path(CpuPath::Portable).unwrap();
    let want = run_all(&x);
    for path in [CpuPath::Avx2, CpuPath::Avx512] {
        if !available_cpu_paths().contains(&path) {
            println!(
                "note: CPU path {path} skipped: this CPU lacks {}",
                path.needs()
            );
            continue;
        }
        set_cpu_path(path).unwrap();
        let got = run_all(&x);
        for ((name, w), (_, g)) in want.iter().zip(&got) {
            for (i, (a, b)) in w.iter().zip(g).enumerate() {
                let rel = (a - b).abs() / a.abs().max(1e-30);
                assert!(rel <= 1e-6, "{path} {name}[{i}]: {b} vs portable {a}");
            }
        }
        println!("CPU path {path}: matches portable");
    }
    set_cpu_path(before).unwrap();
}
