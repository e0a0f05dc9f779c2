//! The crate's errors.

/// What went wrong in a distributed run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A kiln error (model, tensor or data).
    #[error(transparent)]
    Kiln(#[from] kiln::Error),
    /// A kiln-tensor error.
    #[error(transparent)]
    Tensor(#[from] kiln_tensor::Error),
    /// A kiln-data error.
    #[error(transparent)]
    Data(#[from] kiln_data::DataError),
    /// The process was not started by an MPI launcher (or the `mpi` feature is off).
    #[error("{0}")]
    NoCluster(String),
    /// The replicas disagree on the model's variables (found at the weight broadcast).
    #[error(
        "model structure differs across replicas: rank {rank}'s variable #{index} is {got}, \
         rank 0's is {expected}; build the same model on every rank"
    )]
    StructureMismatch {
        /// The first rank that disagrees with rank 0.
        rank: usize,
        /// The index of the first variable that differs (in `model.weights()` order).
        index: usize,
        /// Rank 0's variable there (`name shape dtype`, or `no variable`).
        expected: String,
        /// The disagreeing rank's variable there, as far as this rank knows it.
        got: String,
    },
    /// An argument that does not fit the replicas (batch size, shard, dtype).
    #[error("{api}: {msg}")]
    InvalidArgument {
        /// The function that rejected it.
        api: &'static str,
        /// What was wrong and what was expected.
        msg: String,
    },
}

impl From<Error> for kiln::Error {
    fn from(e: Error) -> kiln::Error {
        match e {
            Error::Kiln(k) => k,
            other => kiln::Error::InvalidArgument {
                api: "kiln-distribute",
                msg: other.to_string(),
            },
        }
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
