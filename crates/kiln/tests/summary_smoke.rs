use kiln::layers::*;
use kiln::models::Model;

#[test]
fn smoke() {
    kiln::utils::clear_session();
    let m = Model::sequential(vec![
        Flatten::new().input_shape(&[28, 28]).into(),
        Dense::new(128).activation("relu").into(),
        Dropout::new(0.2).into(),
        Dense::new(10).into(),
    ])
    .unwrap();
    print!("{}", m.summary_string(None));
    let a = Input::new(&[Some(32)]).name("a").build();
    let b = Input::new(&[Some(16)]).name("b").build();
    let shared = LayerRef::new(Dense::new(8).name("shared"));
    let h = Dense::new(16).apply(&a).unwrap();
    let x = concatenate(&[shared.call(&h).unwrap(), shared.call(&b).unwrap()]).unwrap();
    let o1 = Dense::new(1).name("o1").apply(&x).unwrap();
    let o2 = Dense::new(3).name("o2").apply(&x).unwrap();
    let f = Model::new(&[a, b], &[o1, o2]).unwrap();
    print!("{}", f.summary_string(None));
}
