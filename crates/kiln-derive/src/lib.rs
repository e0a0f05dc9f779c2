//! `#[derive(Layer)]` for kiln: implements `kiln::layers::LayerState` for a struct, so a
//! subclassed layer or model only writes its `call` (and `build`) in `impl Layer`.
//!
//! The struct needs one field of type `LayerBase`. Fields of type `LayerRef`,
//! `Vec<LayerRef>`, `Option<LayerRef>` and `Model` are tracked as sub-layers (their weights
//! and losses belong to the struct), in declaration order, and saved under their field
//! names as Keras saves a Python object's attributes; `#[layer(skip)]` leaves a field
//! out. The class name is the struct's name unless `#[layer(class_name = "...")]` is given.
//!
//! With `#[layer(config)]` on the struct (implied when a field has `#[layer(init = ...)]`),
//! the config is declared once, by the fields
//! (burn's `Config` idea, Keras's `get_config`/`from_config` pair): every field other
//! than the `LayerBase` and those with `#[layer(init = expr)]` is a config field. The
//! derive then writes `new(config fields...)` (the base named after the class, each
//! `init` expression evaluated in field order with the config fields in scope and
//! converted with `Into`), `kiln::layers::FromConfig` (each config field
//! read by name, the saved name restored) and the config fields for `get_config`. Config
//! fields must be `serde` serialisable and deserialisable.
//!
//! For layers written like Keras's own (`kiln::layers::Dense` is the model to copy),
//! `#[layer(builders)]` on the struct adds: `name` and `input_shape` builders, a builder
//! per optional config field (a field marked `#[layer(default)]`, its type's `Default`,
//! or `#[layer(default = expr)]`), which is then not an argument of `new`; numbers and
//! flags are taken as they are, other types through `kiln::layers::ConfigArg`, so an
//! activation can be named (`.activation("relu")`) and a bad name is reported when the
//! layer builds; `Default` when every config field is optional. `from_config` reads an
//! absent or null optional key as its default. Fields of type `kiln::layers::Weight`
//! start empty and are not config. `#[layer(activity_regularizer)]` saves the base's
//! activity regularizer in the config, as Keras's Dense and Conv do (with a builder).
//! See `kiln::layers::LayerState` for an example.

use proc_macro::TokenStream;
use quote::quote;
use syn::{
    parse_macro_input, Data, DeriveInput, Expr, Fields, GenericArgument, PathArguments, Type,
};

fn type_shape(ty: &Type) -> Option<(String, Option<String>)> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    let inner = match &seg.arguments {
        PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            GenericArgument::Type(Type::Path(tp)) => {
                tp.path.segments.last().map(|s| s.ident.to_string())
            }
            _ => None,
        }),
        _ => None,
    };
    Some((seg.ident.to_string(), inner))
}

/// A field's `#[layer(...)]` options.
#[derive(Default)]
struct FieldOpts {
    skip: bool,
    init: Option<Expr>,
    /// `#[layer(default)]` (the type's `Default`) or `#[layer(default = expr)]`: an
    /// optional config field, not a `new` argument, with a builder method.
    default: Option<Option<Expr>>,
}

fn field_opts(attrs: &[syn::Attribute]) -> syn::Result<FieldOpts> {
    let mut o = FieldOpts::default();
    for a in attrs.iter().filter(|a| a.path().is_ident("layer")) {
        a.parse_nested_meta(|m| {
            if m.path.is_ident("skip") {
                o.skip = true;
                Ok(())
            } else if m.path.is_ident("init") {
                o.init = Some(m.value()?.parse()?);
                Ok(())
            } else if m.path.is_ident("default") {
                o.default = Some(if m.input.peek(syn::Token![=]) {
                    Some(m.value()?.parse()?)
                } else {
                    None
                });
                Ok(())
            } else {
                Err(m.error("expected `skip`, `init = <expression>` or `default [= <expression>]`"))
            }
        })?;
    }
    Ok(o)
}

/// The struct's `#[layer(...)]` options.
#[derive(Default)]
struct StructOpts {
    class: Option<String>,
    config: bool,
    /// `builders`: `name`/`input_shape` builders, and one per `default` field.
    builders: bool,
    /// `activity_regularizer`: the base's activity regularizer is a config entry (with a
    /// builder when `builders`), as Keras's Dense and Conv save it.
    activity_regularizer: bool,
}

fn struct_opts(attrs: &[syn::Attribute]) -> syn::Result<StructOpts> {
    let mut o = StructOpts::default();
    for a in attrs.iter().filter(|a| a.path().is_ident("layer")) {
        a.parse_nested_meta(|m| {
            if m.path.is_ident("class_name") {
                let s: syn::LitStr = m.value()?.parse()?;
                o.class = Some(s.value());
                Ok(())
            } else if m.path.is_ident("config") {
                o.config = true;
                Ok(())
            } else if m.path.is_ident("builders") {
                o.builders = true;
                Ok(())
            } else if m.path.is_ident("activity_regularizer") {
                o.activity_regularizer = true;
                Ok(())
            } else {
                Err(m.error(
                    "expected `class_name = \"...\"`, `config`, `builders` or `activity_regularizer`",
                ))
            }
        })?;
    }
    Ok(o)
}

/// The doc comments of a field, for its builder.
fn docs(attrs: &[syn::Attribute]) -> Vec<&syn::Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("doc")).collect()
}

/// Keras's `to_snake_case` of a class name, for the base's auto-name.
fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let prev_lower = i > 0 && chars[i - 1].is_ascii_lowercase();
        let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
        if i > 0 && c.is_ascii_uppercase() && (prev_lower || next_lower) {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

#[proc_macro_derive(Layer, attributes(layer))]
pub fn derive_layer(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// The `T` of an `Option<T>` field type.
fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != "Option" {
        return None;
    }
    match &seg.arguments {
        PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

/// Rust's number and flag types, which builders take as they are.
fn is_primitive(ty: &Type) -> bool {
    const NAMES: [&str; 13] = [
        "bool", "usize", "isize", "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "f32",
        "f64",
    ];
    matches!(ty, Type::Path(p) if p.path.get_ident().is_some_and(|i| NAMES.contains(&i.to_string().as_str())))
}

/// A config field: its name, type, the key it is saved under and, for an optional one,
/// its default and docs.
struct ConfigField<'a> {
    ident: &'a syn::Ident,
    ty: &'a Type,
    key: String,
    default: Option<proc_macro2::TokenStream>,
    docs: Vec<&'a syn::Attribute>,
}

fn expand(input: &DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    let name = &input.ident;
    let sopts = struct_opts(&input.attrs)?;
    let class = sopts.class.clone().unwrap_or_else(|| name.to_string());
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            name,
            "#[derive(Layer)] needs a struct",
        ));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new_spanned(
            name,
            "#[derive(Layer)] needs named fields",
        ));
    };
    let all_opts = fields
        .named
        .iter()
        .map(|f| field_opts(&f.attrs))
        .collect::<syn::Result<Vec<_>>>()?;
    // A field with `init` or `default` only makes sense with the generated `new`: it
    // implies `config`, as `builders` does.
    let with_config = sopts.config
        || sopts.builders
        || all_opts
            .iter()
            .any(|o| o.init.is_some() || o.default.is_some());
    let mut base = None;
    let mut subs = Vec::new();
    let mut attrs = Vec::new();
    // For `#[layer(config)]`: the config fields in declaration order (the required ones
    // are `new`'s arguments) and the initialisation of every other field.
    let mut config_fields: Vec<ConfigField> = Vec::new();
    let mut inits = Vec::new();
    for (f, opts) in fields.named.iter().zip(all_opts) {
        let Some(ident) = &f.ident else { continue };
        let field_name = ident.to_string();
        let field_name = field_name
            .strip_prefix("r#")
            .unwrap_or(&field_name)
            .to_string();
        let shape = type_shape(&f.ty);
        let is_base = matches!(&shape, Some((t, _)) if t == "LayerBase");
        let is_weight = matches!(&shape, Some((t, _)) if t == "Weight");
        if with_config && !is_base {
            let ty = &f.ty;
            if let Some(e) = &opts.init {
                inits.push(quote! { let #ident = ::core::convert::Into::into(#e); });
            } else if is_weight {
                inits.push(quote! { let #ident = ::kiln::layers::Weight::default(); });
            } else {
                let default = opts.default.as_ref().map(|d| match d {
                    Some(e) => quote! { #e },
                    None => quote! { ::core::default::Default::default() },
                });
                if let Some(d) = &default {
                    inits.push(quote! { let #ident: #ty = #d; });
                }
                config_fields.push(ConfigField {
                    ident,
                    ty,
                    key: field_name.clone(),
                    default,
                    docs: docs(&f.attrs),
                });
            }
        }
        if opts.skip {
            continue;
        }
        match shape {
            Some((t, _)) if t == "LayerBase" => base = Some(ident.clone()),
            Some((t, _)) if t == "LayerRef" => {
                subs.push(quote! { out.push(self.#ident.clone()); });
                attrs.push(quote! {
                    out.push((#field_name, ::kiln::layers::Attribute::Layer(self.#ident.clone())));
                });
            }
            Some((t, _)) if t == "Model" => {
                subs.push(quote! { out.push(self.#ident.as_layer()); });
                attrs.push(quote! {
                    out.push((#field_name, ::kiln::layers::Attribute::Layer(self.#ident.as_layer())));
                });
            }
            Some((t, Some(inner))) if t == "Vec" && inner == "LayerRef" => {
                subs.push(quote! { out.extend(self.#ident.iter().cloned()); });
                attrs.push(quote! {
                    out.push((#field_name, ::kiln::layers::Attribute::List(self.#ident.clone())));
                });
            }
            Some((t, Some(inner))) if t == "Option" && inner == "LayerRef" => {
                subs.push(quote! { if let Some(l) = &self.#ident { out.push(l.clone()); } });
                attrs.push(quote! {
                    if let Some(l) = &self.#ident {
                        out.push((#field_name, ::kiln::layers::Attribute::Layer(l.clone())));
                    }
                });
            }
            _ => {}
        }
    }
    let Some(base) = base else {
        return Err(syn::Error::new_spanned(
            name,
            "#[derive(Layer)] needs a field of type `LayerBase`",
        ));
    };
    let (impl_g, ty_g, where_g) = input.generics.split_for_impl();
    let required: Vec<&ConfigField> = config_fields
        .iter()
        .filter(|c| c.default.is_none())
        .collect();
    let optional: Vec<&ConfigField> = config_fields
        .iter()
        .filter(|c| c.default.is_some())
        .collect();
    let config_impl = if with_config {
        let prefix = snake(&class);
        let args = required.iter().map(|c| {
            let (i, t) = (c.ident, c.ty);
            quote! { #i: #t }
        });
        let all: Vec<&syn::Ident> = fields
            .named
            .iter()
            .filter_map(|f| f.ident.as_ref())
            .collect();
        let reads = required.iter().map(|c| {
            let k = &c.key;
            quote! { ::kiln::saving::config_value(config, #k)? }
        });
        let optional_reads = optional.iter().map(|c| {
            let (i, k) = (c.ident, &c.key);
            quote! {
                if let ::std::option::Option::Some(v) = ::kiln::saving::config_value_opt(config, #k)? {
                    layer.#i = v;
                }
            }
        });
        let activity_read = sopts.activity_regularizer.then(|| {
            quote! {
                if let ::std::option::Option::Some(v) =
                    ::kiln::saving::config_value_opt(config, "activity_regularizer")?
                {
                    layer.#base.activity_regularizer = ::std::option::Option::Some(v);
                }
            }
        });
        let doc_new = if optional.is_empty() {
            format!(
                "A new `{class}` from its config fields (`#[layer(config)]`); sub-layers and \
                 other `init` fields are built as declared."
            )
        } else {
            format!(
                "A new `{class}` with Keras's defaults for its optional arguments (set them \
                 with the builder methods)."
            )
        };
        let doc_from = format!(
            "Rebuilds a `{class}` from the config its `get_config` wrote (Keras's \
             `from_config`): each config field is read by name (an optional one may be \
             absent or null); a missing or mistyped one is an `Err` naming it."
        );
        let builders = if sopts.builders {
            let each = optional.iter().map(|c| {
                let (i, t, d) = (c.ident, c.ty, &c.docs);
                let (arg_ty, wrap) = match option_inner(t) {
                    Some(inner) => (inner, quote! { ::std::option::Option::Some(v) }),
                    None => (t, quote! { v }),
                };
                if is_primitive(arg_ty) {
                    // Plain numbers and flags are taken as they are, so literals infer.
                    quote! {
                        #(#d)*
                        pub fn #i(mut self, v: #arg_ty) -> Self {
                            self.#i = #wrap;
                            self
                        }
                    }
                } else {
                    quote! {
                        #(#d)*
                        pub fn #i(mut self, value: impl ::kiln::layers::ConfigArg<#arg_ty>) -> Self {
                            match value.into_arg() {
                                ::std::result::Result::Ok(v) => self.#i = #wrap,
                                ::std::result::Result::Err(e) => self.#base.record_config_error(e),
                            }
                            self
                        }
                    }
                }
            });
            let activity = sopts.activity_regularizer.then(|| {
                quote! {
                    /// Penalty on the layer's output (Keras's `activity_regularizer`).
                    pub fn activity_regularizer(mut self, r: ::kiln::regularizers::Regularizer) -> Self {
                        self.#base.activity_regularizer = ::std::option::Option::Some(r);
                        self
                    }
                }
            });
            let default_impl = required.is_empty().then(|| {
                quote! {
                    impl #impl_g ::core::default::Default for #name #ty_g #where_g {
                        fn default() -> Self {
                            Self::new()
                        }
                    }
                }
            });
            quote! {
                #default_impl
                impl #impl_g #name #ty_g #where_g {
                    #(#each)*
                    #activity
                    /// Sets the layer name.
                    pub fn name(mut self, name: &str) -> Self {
                        self.#base.set_name(name);
                        self
                    }
                    /// Declares the input shape without the batch axis (Keras's
                    /// `input_shape=`), so a `Sequential` starting with this layer builds
                    /// before it sees data.
                    pub fn input_shape(mut self, shape: &[usize]) -> Self {
                        self.#base.declare_input_shape(shape);
                        self
                    }
                    /// The layer's dtype policy by name (Keras's `dtype=`:
                    /// `"mixed_float16"`, `"float32"`...); an unknown name is reported
                    /// when the layer builds.
                    pub fn dtype(mut self, policy: &str) -> Self {
                        self.#base.set_dtype_policy_name(policy);
                        self
                    }
                }
            }
        } else {
            proc_macro2::TokenStream::new()
        };
        quote! {
            impl #impl_g #name #ty_g #where_g {
                #[doc = #doc_new]
                #[allow(clippy::too_many_arguments, clippy::new_without_default)]
                pub fn new(#(#args),*) -> Self {
                    let #base = ::kiln::layers::LayerBase::new(#prefix);
                    #(#inits)*
                    Self { #(#all),* }
                }
            }
            #builders
            impl #impl_g ::kiln::layers::FromConfig for #name #ty_g #where_g {
                const CLASS_NAME: &'static str = #class;
                #[doc = #doc_from]
                fn from_config(config: &::kiln::json::Value) -> ::kiln::Result<Self> {
                    #[allow(unused_mut)]
                    let mut layer = Self::new(#(#reads),*);
                    #(#optional_reads)*
                    #activity_read
                    if let Some(n) = config.get("name").and_then(::kiln::json::Value::as_str) {
                        layer.#base.set_name(n);
                    }
                    Ok(layer)
                }
            }
        }
    } else {
        proc_macro2::TokenStream::new()
    };
    let config_fields_fn = if with_config {
        let idents = config_fields.iter().map(|c| c.ident);
        let keys = config_fields.iter().map(|c| &c.key);
        let activity = sopts.activity_regularizer.then(|| {
            quote! {
                m.insert(
                    "activity_regularizer".to_string(),
                    ::kiln::json::to_value(&self.#base.activity_regularizer)
                        .unwrap_or(::kiln::json::Value::Null),
                );
            }
        });
        quote! {
            fn config_fields(&self) -> ::std::option::Option<::kiln::json::Map<::std::string::String, ::kiln::json::Value>> {
                #[allow(unused_mut)]
                let mut m = ::kiln::json::Map::new();
                #( m.insert(#keys.to_string(), ::kiln::json::to_value(&self.#idents).unwrap_or(::kiln::json::Value::Null)); )*
                #activity
                ::std::option::Option::Some(m)
            }
        }
    } else {
        proc_macro2::TokenStream::new()
    };
    Ok(quote! {
        impl #impl_g ::kiln::layers::LayerState for #name #ty_g #where_g {
            fn base(&self) -> &::kiln::layers::LayerBase { &self.#base }
            fn base_mut(&mut self) -> &mut ::kiln::layers::LayerBase { &mut self.#base }
            fn class_name(&self) -> &'static str { #class }
            fn sublayers(&self) -> ::std::vec::Vec<::kiln::layers::LayerRef> {
                #[allow(unused_mut)]
                let mut out = ::std::vec::Vec::new();
                #(#subs)*
                out
            }
            fn attributes(&self) -> ::std::option::Option<::std::vec::Vec<(&'static str, ::kiln::layers::Attribute)>> {
                #[allow(unused_mut)]
                let mut out = ::std::vec::Vec::new();
                #(#attrs)*
                ::std::option::Option::Some(out)
            }
            #config_fields_fn
        }
        #config_impl
    })
}
