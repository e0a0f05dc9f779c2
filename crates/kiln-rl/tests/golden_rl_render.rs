//! Rendered `rgb_array` frames against gymnasium 1.2.2 drawn by pygame 2.6.1 (fixtures
//! written by tools/golden/gen_rl_frames.py under tools/golden/fixtures/rl_envs/render/):
//! five seeded episodes per environment replayed action for action through `make(id)`, and
//! the frame after reset, after steps 1, 17 and 60 and after the last step compared pixel
//! for pixel.
//!
//! Every frame is pixel-identical to pygame's except for one thing kiln does not have:
//! Pendulum's torque arrow is a bitmap asset in gymnasium (`clockwise.png`, smooth-scaled and
//! alpha-blitted), drawn here as a ring arrow of the same size. In Pendulum frames after a
//! step the pixels outside that arrow's square must still be identical; inside it the test
//! bounds how many differ (and reports it).

use kiln_rl::{make, Action, Env};
use serde_json::Value;

fn dir() -> String {
    format!(
        "{}/../../tools/golden/fixtures/rl_envs/render",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn read_png(path: &str) -> (usize, usize, Vec<u8>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut dec = png::Decoder::new(std::io::BufReader::new(file));
    dec.set_transformations(png::Transformations::EXPAND);
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = info.color_type.samples();
    let rgb = buf[..info.buffer_size()]
        .chunks(channels)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    (w, h, rgb)
}

/// 64-bit FNV-1a, as the generator hashes the raw frame bytes.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The torque arrow's square in the final (flipped) frame: columns `x0..x1`, rows `y0..y1`.
fn arrow_box(last_u: f32) -> (usize, usize, usize, usize) {
    let scale = (500.0f64 / (2.2 * 2.0)) as f32;
    let side = (scale * last_u.abs() / 2.0) as usize;
    let left = 250 - side / 2;
    // drawn with y up, then flipped: rows top..top+side become 499-(top+side-1)..
    let top = 500 - (left + side);
    (left, left + side, top, top + side)
}

#[test]
fn rendered_frames_are_gymnasiums() {
    let text = std::fs::read_to_string(format!("{}/frames.json", dir())).unwrap();
    let fx: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(fx["gymnasium"].as_str(), Some("1.2.2"));
    assert_eq!(fx["pygame"].as_str(), Some("2.6.1"));
    let episodes = fx["episodes"].as_array().unwrap();
    assert_eq!(episodes.len(), 20);
    let (mut frames, mut exact, mut arrow_frames) = (0usize, 0usize, 0usize);
    let mut worst_arrow = 0.0f64;
    let mut failures = Vec::new();
    for ep in episodes {
        let id = ep["env"].as_str().unwrap();
        let seed = ep["reset_seed"].as_u64().unwrap();
        let mut env = make(id).unwrap();
        env.reset(Some(seed)).unwrap();
        let actions = ep["actions"].as_array().unwrap();
        let mut last_u = None;
        let mut step = 0usize;
        for fr in ep["frames"].as_array().unwrap() {
            let at = fr["step"].as_u64().unwrap() as usize;
            while step < at {
                let a = &actions[step];
                let action = if id == "Pendulum-v1" {
                    let u = a.as_f64().unwrap() as f32;
                    last_u = Some(u.clamp(-2.0, 2.0));
                    Action::from(u)
                } else {
                    Action::from(a.as_i64().unwrap())
                };
                env.step(action).unwrap();
                step += 1;
            }
            let frame = env.render().unwrap();
            let name = fr["png"].as_str().unwrap();
            let (w, h, want) = read_png(&format!("{}/{name}", dir()));
            let shape: Vec<u64> = fr["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            assert_eq!(shape, [h as u64, w as u64, 3], "{name}");
            assert_eq!((frame.width(), frame.height()), (w, h), "{name}");
            let hash =
                u64::from_str_radix(fr["fnv1a64"].as_str().unwrap().trim_start_matches("0x"), 16)
                    .unwrap();
            // the PNG holds exactly the array gymnasium returned
            assert_eq!(fnv1a64(&want), hash, "{name}: PNG vs recorded hash");
            frames += 1;
            let got = frame.pixels();
            let arrow = last_u.filter(|_| id == "Pendulum-v1").map(arrow_box);
            let (mut outside, mut inside, mut area) = (0usize, 0usize, 0usize);
            let mut first = Vec::new();
            for y in 0..h {
                for x in 0..w {
                    let i = 3 * (y * w + x);
                    let differs = got[i..i + 3] != want[i..i + 3];
                    match arrow {
                        Some((x0, x1, y0, y1))
                            if (x0..x1).contains(&x) && (y0..y1).contains(&y) =>
                        {
                            area += 1;
                            inside += usize::from(differs);
                        }
                        _ => {
                            outside += usize::from(differs);
                            if differs && first.len() < 6 {
                                first.push(format!(
                                    "({x}, {y}) kiln {:?} gymnasium {:?}",
                                    &got[i..i + 3],
                                    &want[i..i + 3]
                                ));
                            }
                        }
                    }
                }
            }
            if outside > 0 {
                failures.push(format!(
                    "{name}: {outside} pixels differ, first {}",
                    first.join(", ")
                ));
            }
            if arrow.is_some() && area > 0 {
                arrow_frames += 1;
                let share = inside as f64 / area as f64;
                worst_arrow = worst_arrow.max(share);
            } else if outside == 0 {
                exact += 1;
                assert_eq!(fnv1a64(got), hash, "{name}");
            }
        }
    }
    eprintln!(
        "{frames} frames: {exact} pixel-identical to gymnasium's; {arrow_frames} Pendulum \
         frames identical outside the torque arrow's square, inside it at most {:.1}% of \
         pixels differ",
        worst_arrow * 100.0
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(frames, 97);
    // the ring arrow covers the bitmap's shape roughly: a missing or misplaced arrow
    // differs in far more of the square
    assert!(worst_arrow < 0.2, "arrow square: {worst_arrow}");
}
