//! A Keras user's first day, program 3: a subclassed model with a custom layer, a custom
//! loss and a custom metric, saved, reloaded, checked and trained on (the Keras original:
//! `subclassed_custom.py`).
use kiln::prelude::*;

#[derive(Layer)]
#[layer(config)]
struct Scale {
    base: LayerBase,
    factor: f64,
}

impl Layer for Scale {
    fn build(&mut self, shapes: &[Shape]) -> kiln::Result<()> {
        self.base.weight("w", &[last_dim(&shapes[0])?]).initializer("ones").add()
    }
    fn call(&mut self, x: &[Tensor], _: &CallContext) -> kiln::Result<Vec<Tensor>> {
        Ok(vec![x[0].mul(&self.base.variable("w")?.value())?.mul_scalar(self.factor)?])
    }
}

#[derive(Layer)]
struct Classifier {
    base: LayerBase,
    units: usize,
    #[layer(init = Dense::new(units).activation("relu"))]
    hidden: LayerRef,
    #[layer(init = Scale::new(0.5))]
    scale: LayerRef,
    #[layer(init = Dense::new(3))]
    head: LayerRef,
}

impl Layer for Classifier {
    fn call(&mut self, x: &[Tensor], _: &CallContext) -> kiln::Result<Vec<Tensor>> {
        Ok(vec![self.head.call(&self.scale.call(&self.hidden.call(&x[0])?)?)?])
    }
}

fn penalized_ce(y_true: &Tensor, y_pred: &Tensor) -> kiln::Result<Tensor> {
    let ce = losses::sparse_categorical_crossentropy(y_true, y_pred, true)?;
    Ok(ce.add(&y_pred.square()?.mean(&[-1], false)?.mul_scalar(0.01)?)?)
}

fn max_logit(_y_true: &Tensor, y_pred: &Tensor) -> kiln::Result<Tensor> {
    Ok(y_pred.max(&[-1], false)?)
}

fn main() -> kiln::Result<()> {
    saving::register_model_class::<Classifier>("demo");
    saving::register_loss_fn("demo", "penalized_ce", penalized_ce);
    saving::register_metric_fn("demo", "max_logit", max_logit);
    let x = random::Generator::from_seed(0).uniform(&[1000, 8], 0.0, 1.0, DType::F32)?;
    let y = x.argmax(1)?.rem(&Tensor::scalar(3i64))?;
    let mut model = Model::from_layer(Classifier::new(32));
    let metrics = ["accuracy", "max_logit"];
    model.compile(CompileArgs::new().optimizer("adam").loss(penalized_ce).metrics(metrics))?;
    model.fit(&x, &y, FitArgs::new().epochs(3).batch_size(32).verbose(2))?;
    model.save("classifier.keras")?;
    let mut restored = saving::load_model("classifier.keras")?;
    let a = restored.predict(x.rows(..5)?, PredictArgs::new())?.to_vec::<f32>()?;
    assert_eq!(a, model.predict(x.rows(..5)?, PredictArgs::new())?.to_vec::<f32>()?);
    restored.fit(&x, &y, FitArgs::new().epochs(1).batch_size(32).verbose(2))?;
    Ok(())
}
