//! S003-30: `TextVectorization(output_mode="int", max_tokens=100,
//! output_sequence_length=10)` adapted to four sentences, then vectorizing them.

use kiln_data::text::TextVectorization;

fn main() -> kiln_data::Result<()> {
    let texts = [
        "Hello, how are you?",
        "I am fine, thank you.",
        "How about you?",
        "I am good too.",
    ];
    let mut vectorizer = TextVectorization::new()
        .max_tokens(100)
        .output_sequence_length(10);
    vectorizer.adapt(&texts)?;
    let text_vectorized = vectorizer.call(&texts)?;
    let ids = text_vectorized.to_vec::<i64>()?;
    println!("Vectorized text data:");
    for (i, row) in ids.chunks(10).enumerate() {
        let cells: Vec<String> = row.iter().map(|v| format!("{v:2}")).collect();
        let open = if i == 0 { "[[" } else { " [" };
        let close = if i == 3 { "]]" } else { "]" };
        println!("{open}{}{close}", cells.join(" "));
    }
    Ok(())
}
