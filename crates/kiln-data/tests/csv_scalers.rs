//! CSV reading and the scalers: values, round trips, and bad input naming line/column.

use kiln_data::csv::{parse_csv, read_csv, CsvOptions};
use kiln_data::utils::{MinMaxScaler, StandardScaler};
use kiln_tensor::Tensor;

#[test]
fn csv_values_quotes_and_errors() {
    let text = "date,\"price, usd\",volume\r\n1,2.5,3e2\n\n4,-5,\"6\"\n";
    let (names, t) = parse_csv(text, &CsvOptions::default(), "prices.csv").unwrap();
    assert_eq!(names, vec!["date", "price, usd", "volume"]);
    assert_eq!(t.shape(), &[2, 3]);
    assert_eq!(
        t.to_vec::<f32>().unwrap(),
        vec![1.0, 2.5, 300.0, 4.0, -5.0, 6.0]
    );
    let e = parse_csv("a,b\n1,x\n", &CsvOptions::default(), "bad.csv")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("bad.csv")
            && e.contains("line 2")
            && e.contains("column 2")
            && e.contains("(b)"),
        "{e}"
    );
    let e = parse_csv("a,b\n1,2\n3\n", &CsvOptions::default(), "ragged.csv")
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 3") && e.contains("1 fields"), "{e}");
    assert!(parse_csv("", &CsvOptions::default(), "empty.csv").is_err());
    let opts = CsvOptions {
        header: false,
        delimiter: ';',
    };
    let (names, t) = parse_csv("1;2\n3;4\n", &opts, "x").unwrap();
    assert_eq!(names, vec!["column_0", "column_1"]);
    assert_eq!(t.shape(), &[2, 2]);
    let e = read_csv("/nonexistent/data.csv", &CsvOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("/nonexistent/data.csv"), "{e}");
}

#[test]
fn scalers_follow_sklearn() {
    let x = Tensor::from_vec(vec![1.0f32, 7.0, 2.0, 7.0, 3.0, 7.0, 6.0, 7.0], &[4, 2]).unwrap();
    // MinMaxScaler((-1, 1)): column 0 spans [1, 6]; column 1 is constant (scale 1 -> -1).
    let mut mm = MinMaxScaler::new((-1.0, 1.0));
    let y = mm.fit_transform(&x).unwrap().to_vec::<f32>().unwrap();
    let want = [-1.0, -1.0, -0.6, -1.0, -0.2, -1.0, 1.0, -1.0];
    for (a, b) in y.iter().zip(want) {
        assert!((a - b).abs() < 1e-6, "{y:?}");
    }
    let back = mm
        .inverse_transform(&Tensor::from_vec(y, &[4, 2]).unwrap())
        .unwrap();
    for (a, b) in back
        .to_vec::<f32>()
        .unwrap()
        .iter()
        .zip(x.to_vec::<f32>().unwrap())
    {
        assert!((a - b).abs() < 1e-5);
    }
    // StandardScaler: population std (ddof 0); the constant column maps to 0.
    let mut ss = StandardScaler::new();
    let z = ss.fit_transform(&x).unwrap().to_vec::<f32>().unwrap();
    let (mean, sd) = (3.0f32, (((4.0 + 1.0 + 0.0 + 9.0) / 4.0) as f32).sqrt());
    assert!(
        (z[0] - (1.0 - mean) / sd).abs() < 1e-6 && z[1] == 0.0,
        "{z:?}"
    );
    let back = ss
        .inverse_transform(&Tensor::from_vec(z, &[4, 2]).unwrap())
        .unwrap();
    for (a, b) in back
        .to_vec::<f32>()
        .unwrap()
        .iter()
        .zip(x.to_vec::<f32>().unwrap())
    {
        assert!((a - b).abs() < 1e-5);
    }
    // Errors: unfitted, wrong width, bad range, wrong rank.
    assert!(StandardScaler::new().transform(&x).is_err());
    assert!(ss
        .transform(&Tensor::from_vec(vec![1.0f32; 3], &[1, 3]).unwrap())
        .is_err());
    assert!(MinMaxScaler::new((1.0, 0.0)).fit(&x).is_err());
    assert!(StandardScaler::new()
        .fit(&Tensor::from_vec(vec![1.0f32; 3], &[3]).unwrap())
        .is_err());
}
