//! `einsum`: parsing the equation (letters, ellipses, repeated labels) and contracting
//! the operands pair by pair.

use std::collections::HashMap;

use crate::ops::same_dtype;
use crate::shape::fmt_shape;
use crate::{Error, Result, Tensor};

use super::contract::{contract_pair, diagonal_view, permute_to, sum_unneeded, Label};

/// Ellipsis dimensions get labels from here up (right-aligned across operands).
pub(super) const ELLIPSIS_BASE: Label = 1 << 20;

/// One parsed einsum term: letters, with the position of `...` among them if present.
pub(super) struct Term {
    pub(super) letters: Vec<char>,
    pub(super) ellipsis: Option<usize>,
}

pub(super) fn parse_term(term: &str, equation: &str) -> Result<Term> {
    let mut letters = Vec::new();
    let mut ellipsis = None;
    let mut rest = term;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("...") {
            if ellipsis.replace(letters.len()).is_some() {
                return Err(Error::arg(
                    "einsum",
                    format!("'...' appears twice in term '{term}' of equation '{equation}'"),
                ));
            }
            rest = r;
            continue;
        }
        let c = rest.chars().next().expect("non-empty");
        if !c.is_ascii_alphabetic() {
            return Err(Error::arg(
                "einsum",
                format!("invalid character '{c}' in equation '{equation}' (expected letters, ',', '->' and '...')"),
            ));
        }
        letters.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Ok(Term { letters, ellipsis })
}

pub(super) fn label_name(l: Label) -> String {
    if l >= ELLIPSIS_BASE {
        format!("... dimension {}", l - ELLIPSIS_BASE)
    } else {
        format!("'{}'", char::from_u32(l).unwrap_or('?'))
    }
}

pub(super) fn einsum_impl(equation: &str, operands: &[&Tensor]) -> Result<Tensor> {
    let op = "einsum";
    let eq: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match eq.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (eq.as_str(), None),
    };
    let terms: Vec<Term> = lhs
        .split(',')
        .map(|t| parse_term(t, equation))
        .collect::<Result<_>>()?;
    if operands.is_empty() || terms.len() != operands.len() {
        return Err(Error::arg(
            op,
            format!(
                "equation '{equation}' has {} input terms but {} operands were given",
                terms.len(),
                operands.len()
            ),
        ));
    }
    for t in &operands[1..] {
        same_dtype(op, operands[0], t)?;
    }
    crate::ops::require_numeric(op, operands[0].dtype())?;
    // Ellipsis ranks, then labels per operand.
    let mut ell_rank = 0usize;
    let mut ell_ranks = Vec::with_capacity(operands.len());
    for (i, (t, term)) in operands.iter().zip(&terms).enumerate() {
        let e = match term.ellipsis {
            Some(_) if t.rank() >= term.letters.len() => t.rank() - term.letters.len(),
            None if t.rank() == term.letters.len() => 0,
            _ => {
                return Err(Error::shape(
                    op,
                    format!(
                        "operand {i} has shape {} (rank {}) but its term in '{equation}' names {} dimensions",
                        fmt_shape(t.shape()),
                        t.rank(),
                        term.letters.len()
                    ),
                ))
            }
        };
        ell_rank = ell_rank.max(e);
        ell_ranks.push(e);
    }
    let mut labels: Vec<Vec<Label>> = Vec::with_capacity(operands.len());
    for (term, &e) in terms.iter().zip(&ell_ranks) {
        let mut ls: Vec<Label> = term.letters.iter().map(|&c| c as Label).collect();
        if let Some(pos) = term.ellipsis {
            let ell: Vec<Label> = (0..e)
                .map(|j| ELLIPSIS_BASE + (ell_rank - e + j) as Label)
                .collect();
            ls.splice(pos..pos, ell);
        }
        labels.push(ls);
    }
    // Sizes must agree (ellipsis dimensions may broadcast from 1).
    let mut size: HashMap<Label, (usize, usize)> = HashMap::new();
    for (i, (t, ls)) in operands.iter().zip(&labels).enumerate() {
        for (&l, &d) in ls.iter().zip(t.shape()) {
            match size.get(&l).copied() {
                None => {
                    size.insert(l, (d, i));
                }
                Some((s, _)) if s == d => {}
                Some((s, j)) if l >= ELLIPSIS_BASE && (s == 1 || d == 1) => {
                    size.insert(l, (s.max(d), if s == 1 { i } else { j }));
                }
                Some((s, j)) => {
                    return Err(Error::shape(
                        op,
                        format!(
                            "label {} has size {s} in operand {j} (shape {}) but size {d} in operand {i} (shape {}) in '{equation}'",
                            label_name(l),
                            fmt_shape(operands[j].shape()),
                            fmt_shape(t.shape())
                        ),
                    ))
                }
            }
        }
    }
    // Output labels.
    let out: Vec<Label> = match rhs {
        Some(r) => {
            let term = parse_term(r, equation)?;
            let mut ls: Vec<Label> = term.letters.iter().map(|&c| c as Label).collect();
            for (i, &l) in ls.iter().enumerate() {
                if ls[..i].contains(&l) {
                    return Err(Error::arg(
                        op,
                        format!("output label {} is repeated in '{equation}'", label_name(l)),
                    ));
                }
                if !size.contains_key(&l) {
                    return Err(Error::arg(
                        op,
                        format!(
                            "output label {} does not appear in any input of '{equation}'",
                            label_name(l)
                        ),
                    ));
                }
            }
            if let Some(pos) = term.ellipsis {
                ls.splice(pos..pos, (0..ell_rank).map(|j| ELLIPSIS_BASE + j as Label));
            }
            ls
        }
        None => {
            let mut count: HashMap<Label, usize> = HashMap::new();
            for ls in &labels {
                for &l in ls {
                    *count.entry(l).or_default() += 1;
                }
            }
            let mut letters: Vec<Label> = count
                .iter()
                .filter(|&(&l, &c)| c == 1 && l < ELLIPSIS_BASE)
                .map(|(&l, _)| l)
                .collect();
            letters.sort_unstable();
            (0..ell_rank)
                .map(|j| ELLIPSIS_BASE + j as Label)
                .chain(letters)
                .collect()
        }
    };

    // Per operand: take diagonals of repeated labels, sum labels used nowhere else.
    let mut items: Vec<(Tensor, Vec<Label>)> = Vec::with_capacity(operands.len());
    for (i, (&t, ls)) in operands.iter().zip(&labels).enumerate() {
        let mut t = t.clone();
        let mut ls = ls.clone();
        while let Some((p, q)) = first_repeat(&ls) {
            t = diagonal_view(&t, p, q)?;
            ls.remove(q);
        }
        let elsewhere = |l: Label| {
            out.contains(&l)
                || labels
                    .iter()
                    .enumerate()
                    .any(|(j, o)| j != i && o.contains(&l))
        };
        items.push(sum_unneeded(&t, &ls, elsewhere)?);
    }
    let mut iter = items.into_iter();
    let (mut cur, mut lc) = iter.next().expect("at least one operand");
    let rest: Vec<(Tensor, Vec<Label>)> = iter.collect();
    for (i, (t, ls)) in rest.iter().enumerate() {
        let keep: Vec<Label> = out
            .iter()
            .copied()
            .chain(rest[i + 1..].iter().flat_map(|(_, l)| l.iter().copied()))
            .collect();
        let (c, l) = contract_pair(&cur, &lc, t, ls, &keep)?;
        cur = c;
        lc = l;
    }
    let (cur, lc) = sum_unneeded(&cur, &lc, |l| out.contains(&l))?;
    permute_to(&cur, &lc, &out)
}

pub(super) fn first_repeat(ls: &[Label]) -> Option<(usize, usize)> {
    for q in 0..ls.len() {
        if let Some(p) = ls[..q].iter().position(|&x| x == ls[q]) {
            return Some((p, q));
        }
    }
    None
}
