//! The `KMeans`, `PCA` and `Matrix` API around the golden cases: defaults, options,
//! weights, messages (expected values from scikit-learn 1.9.1 on the same inputs).

use kiln_learn::cluster::{KMeans, KMeansAlgorithm, KMeansInit, NInit};
use kiln_learn::decomposition::{NComponents, SvdSolver, PCA};
use kiln_learn::{LearnError, Matrix, WarningCategory};

fn x5() -> Matrix {
    Matrix::from_rows(&[[0.0, 1.0], [1.0, 1.0], [5.0, 5.0], [6.0, 5.0], [0.0, 0.0]]).unwrap()
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
}

#[test]
fn defaults_are_sklearns() {
    let km = KMeans::default();
    assert_eq!(km.n_clusters, 8);
    assert_eq!(km.init, KMeansInit::KMeansPlusPlus);
    assert_eq!(km.n_init, NInit::Auto);
    assert_eq!((km.max_iter, km.tol), (300, 1e-4));
    assert_eq!(km.random_state, None);
    assert_eq!(km.algorithm, KMeansAlgorithm::Lloyd);
    assert_eq!(KMeans::new(3).n_clusters, 3);
    let pca = PCA::default();
    assert_eq!(pca.n_components, None);
    assert!(!pca.whiten);
    assert_eq!(pca.svd_solver, SvdSolver::Full);
    assert_eq!(
        PCA::new(Some(NComponents::Mle)).n_components,
        Some(NComponents::Mle)
    );
}

#[test]
fn weighted_fit_score_and_transform() {
    // KMeans(2, init=[[0, 0], [5, 5]]).fit(X, sample_weight=[1, 2, 3, 1, 1])
    let init = Matrix::from_rows(&[[0.0, 0.0], [5.0, 5.0]]).unwrap();
    let km = KMeans {
        n_clusters: 2,
        init: KMeansInit::Array(init),
        ..KMeans::default()
    };
    let w = [1.0, 2.0, 3.0, 1.0, 1.0];
    let fitted = km.fit(&x5(), Some(&w)).unwrap();
    assert_eq!(fitted.cluster_centers_.as_slice(), &[0.5, 0.75, 5.25, 5.0]);
    assert_eq!(fitted.labels_, vec![0, 0, 1, 1, 0]);
    assert_eq!(fitted.inertia_, 2.5);
    assert_eq!(fitted.n_iter_, 2);
    assert_eq!(fitted.n_features_in_, 2);
    assert!(fitted.warnings.is_empty());
    assert_eq!(fitted.score(&x5(), Some(&w)).unwrap(), -2.5);
    assert_eq!(fitted.score(&x5(), None).unwrap(), -2.0625);
    let t = fitted
        .transform(&Matrix::from_rows(&[[3.0, 4.0]]).unwrap())
        .unwrap();
    assert!(close(
        t.as_slice(),
        &[4.100304866714182, 2.462214450449026],
        1e-12
    ));
    // fit_transform is fit then transform; fit_predict is fit's labels
    let (again, distances) = km.fit_transform(&x5(), Some(&w)).unwrap();
    assert_eq!(again, fitted);
    assert_eq!(distances, fitted.transform(&x5()).unwrap());
    assert_eq!(km.fit_predict(&x5(), Some(&w)).unwrap(), fitted.labels_);
    assert_eq!(fitted.predict(&x5()).unwrap(), fitted.labels_);
}

#[test]
fn random_init_draws_sklearns_seeds() {
    // KMeans(3, init="random", random_state=0, n_init=1).fit(X).labels_
    let km = KMeans {
        n_clusters: 3,
        init: KMeansInit::Random,
        n_init: NInit::Count(1),
        random_state: Some(0),
        ..KMeans::default()
    };
    assert_eq!(km.fit(&x5(), None).unwrap().labels_, vec![2, 2, 0, 1, 2]);
}

#[test]
fn unseeded_runs_still_cluster() {
    let x = Matrix::from_rows(&[[0.0], [0.1], [0.2], [9.0], [9.1], [9.2]]).unwrap();
    for init in [KMeansInit::KMeansPlusPlus, KMeansInit::Random] {
        let labels = KMeans {
            n_clusters: 2,
            init,
            ..KMeans::default()
        }
        .fit_predict(&x, None)
        .unwrap();
        assert_eq!(labels[0], labels[2]);
        assert_eq!(labels[3], labels[5]);
        assert_ne!(labels[0], labels[3]);
    }
}

#[test]
fn kmeans_messages() {
    let x = x5();
    let nan_init = Matrix::from_rows(&[[f64::NAN, 0.0], [1.0, 1.0]]).unwrap();
    let err = KMeans {
        n_clusters: 2,
        init: KMeansInit::Array(nan_init),
        ..KMeans::default()
    }
    .fit(&x, None)
    .unwrap_err();
    assert_eq!(err.to_string(), "Input contains NaN.");
    let err = KMeans {
        n_clusters: 2,
        init: KMeansInit::Array(Matrix::new(Vec::new(), 0, 2).unwrap()),
        ..KMeans::default()
    }
    .fit(&x, None)
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Found array with 0 sample(s) (shape=(0, 2)) while a minimum of 1 is required."
    );
    let fitted = KMeans {
        n_clusters: 2,
        random_state: Some(0),
        ..KMeans::default()
    }
    .fit(&x, None)
    .unwrap();
    let err = fitted
        .predict(&Matrix::from_rows(&[[f64::NAN, 1.0]]).unwrap())
        .unwrap_err();
    assert!(err.to_string().starts_with(
        "Input X contains NaN.\nKMeans does not accept missing values encoded as NaN natively."
    ));
    assert_eq!(
        "full".parse::<KMeansAlgorithm>().unwrap_err(),
        LearnError::InvalidParameter {
            param: "algorithm",
            caller: Some("KMeans"),
            constraint: "a str among {'elkan', 'lloyd'}".to_string(),
            got: "'full'".to_string(),
        }
    );
    assert_eq!(
        "foo".parse::<KMeansInit>().unwrap_err().to_string(),
        "The 'init' parameter of KMeans must be a str among {'k-means++', 'random'}, a callable or an array-like. Got 'foo' instead."
    );
    let err = KMeans {
        tol: f64::NAN,
        ..KMeans::new(2)
    }
    .fit(&x, None)
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "The 'tol' parameter of KMeans must be a float in the range [0.0, inf). Got nan instead."
    );
}

#[test]
fn warnings_carry_their_class() {
    let x = Matrix::from_rows(&[[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]]).unwrap();
    let fitted = KMeans {
        n_clusters: 3,
        random_state: Some(0),
        ..KMeans::default()
    }
    .fit(&x, None)
    .unwrap();
    assert_eq!(fitted.warnings.len(), 1);
    assert_eq!(fitted.warnings[0].category, WarningCategory::Convergence);
    assert_eq!(
        fitted.warnings[0].to_string(),
        "ConvergenceWarning: Number of distinct clusters (2) found smaller than n_clusters (3). Possibly due to duplicate points in X."
    );
}

#[test]
fn pca_without_components_and_whitened() {
    // PCA(n_components=0).fit(X)
    let p = PCA::new(Some(NComponents::Count(0))).fit(&x5()).unwrap();
    assert_eq!(p.n_components_, 0);
    assert_eq!(p.components_.shape(), (0, 2));
    assert!((p.noise_variance_ - 7.049999999999999).abs() < 1e-14);
    assert_eq!(p.transform(&x5()).unwrap().shape(), (5, 0));
    assert_eq!(
        p.inverse_transform(&Matrix::new(Vec::new(), 2, 0).unwrap())
            .unwrap_err()
            .to_string(),
        "Found array with 0 feature(s) (shape=(2, 0)) while a minimum of 1 is required."
    );
    // PCA(whiten=True).fit(X)
    let p = PCA {
        whiten: true,
        ..PCA::default()
    }
    .fit(&x5())
    .unwrap();
    let one = Matrix::from_rows(&[[1.0, 2.0]]).unwrap();
    let z = p.transform(&one).unwrap();
    assert!(close(
        z.as_slice(),
        &[-0.3563773064949811, 1.5958318915041454],
        1e-12
    ));
    let back = p.inverse_transform(&z).unwrap();
    assert!(close(back.as_slice(), &[1.0, 2.0], 1e-12));
    assert_eq!(
        p.inverse_transform(&Matrix::from_rows(&[[f64::NAN, 0.0]]).unwrap())
            .unwrap_err()
            .to_string(),
        "Input X contains NaN."
    );
}

#[test]
fn pca_solvers_agree_and_fit_transform_matches_transform() {
    let x = Matrix::from_rows(&[
        [2.5, 2.4, 0.5],
        [0.5, 0.7, 1.5],
        [2.2, 2.9, 0.1],
        [1.9, 2.2, 0.9],
        [3.1, 3.0, 0.3],
        [2.3, 2.7, 1.1],
        [2.0, 1.6, 0.4],
        [1.0, 1.1, 1.9],
    ])
    .unwrap();
    let full = PCA::default().fit_transform(&x).unwrap();
    let eigh = PCA {
        svd_solver: SvdSolver::CovarianceEigh,
        ..PCA::default()
    }
    .fit_transform(&x)
    .unwrap();
    assert!(close(
        &full.0.explained_variance_,
        &eigh.0.explained_variance_,
        1e-12
    ));
    assert!(close(
        full.0.components_.as_slice(),
        eigh.0.components_.as_slice(),
        1e-10
    ));
    assert!(close(full.1.as_slice(), eigh.1.as_slice(), 1e-10));
    let t = full.0.transform(&x).unwrap();
    assert!(close(full.1.as_slice(), t.as_slice(), 1e-12));
    // each component's largest entry is positive (svd_flip on the rows of Vt)
    for c in full.0.components_.rows() {
        let big = c
            .iter()
            .copied()
            .fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
        assert!(big > 0.0);
    }
}

#[test]
fn matrix_checks() {
    assert_eq!(
        Matrix::new(vec![0.0; 3], 2, 2),
        Err(LearnError::ReshapeSize {
            size: 3,
            n_rows: 2,
            n_cols: 2
        })
    );
    assert_eq!(
        Matrix::from_rows(&[vec![1.0], vec![1.0, 2.0]])
            .unwrap_err()
            .to_string(),
        "setting an array element with a sequence. The requested array has an inhomogeneous shape after 1 dimensions. The detected shape was (2,) + inhomogeneous part."
    );
}

#[test]
fn float32_fit_and_messages() {
    // KMeans(2, init=[[0, 0], [5, 5]]).fit(X.astype(np.float32), sample_weight=w32)
    let x: Vec<f32> = x5().as_slice().iter().map(|&v| v as f32).collect();
    let init = Matrix::from_rows(&[[0.0, 0.0], [5.0, 5.0]]).unwrap();
    let km = KMeans {
        n_clusters: 2,
        init: KMeansInit::Array(init),
        ..KMeans::default()
    };
    let fitted = km
        .fit_f32(&x, 5, 2, Some(&[1.0, 2.0, 3.0, 1.0, 1.0]))
        .unwrap();
    assert_eq!(fitted.cluster_centers_.as_slice(), &[0.5, 0.75, 5.25, 5.0]);
    assert_eq!(fitted.labels_, vec![0, 0, 1, 1, 0]);
    assert_eq!((fitted.inertia_, fitted.n_iter_), (2.5, 2));
    // KMeans(3, random_state=0, n_init=1) on float32 data: float32 means and inertia
    let x2: [f32; 12] = [
        0.1, 0.2, 0.3, 0.7, 0.11, 0.25, 0.9, 0.8, 0.33, 0.71, 0.95, 0.85,
    ];
    let km = KMeans {
        n_clusters: 3,
        n_init: NInit::Count(1),
        random_state: Some(0),
        ..KMeans::default()
    };
    let fitted = km.fit_f32(&x2, 6, 2, None).unwrap();
    assert_eq!(
        fitted.cluster_centers_.as_slice(),
        &[
            0.9249999523162842,
            0.8250000476837158,
            0.10499998927116394,
            0.22499999403953552,
            0.3149999976158142,
            0.7049999833106995
        ]
    );
    assert_eq!(fitted.labels_, vec![1, 2, 1, 0, 2, 0]);
    assert_eq!(
        (fitted.inertia_, fitted.n_iter_),
        (0.0043000029399991035, 2)
    );
    // scikit-learn's messages, as for float64 input
    let err = |x: &[f32], n, d| {
        KMeans::new(1)
            .fit_f32(x, n, d, None)
            .unwrap_err()
            .to_string()
    };
    assert!(err(&[f32::NAN, 1.0, 1.0, 1.0], 2, 2)
        .starts_with("Input X contains NaN.\nKMeans does not accept missing values"));
    assert_eq!(
        err(&[], 0, 2),
        "Found array with 0 sample(s) (shape=(0, 2)) while a minimum of 1 is required by KMeans."
    );
    assert_eq!(
        err(&[], 3, 0),
        "Found array with 0 feature(s) (shape=(3, 0)) while a minimum of 1 is required by KMeans."
    );
    assert_eq!(
        err(&[1.0; 5], 2, 2),
        "cannot reshape array of size 5 into shape (2,2)"
    );
    assert_eq!(
        KMeans::new(3)
            .fit_f32(&[1.0; 4], 2, 2, None)
            .unwrap_err()
            .to_string(),
        "n_samples=2 should be >= n_clusters=3."
    );
}
