//! Method parameters, given either by position (`[a, b]`) or by name (`{"x": a, "y": b}`).

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::RpcError;

/// The `params` member of a request, already checked to be absent, an array or an object.
#[derive(Debug, Clone, Copy)]
pub struct Params<'a>(Option<&'a Value>);

impl<'a> Params<'a> {
    /// Wraps a request's `params` member.
    pub fn new(params: Option<&'a Value>) -> Self {
        Self(params)
    }

    /// The `params` member as sent.
    pub fn raw(&self) -> Option<&'a Value> {
        self.0
    }

    /// Rejects parameters beyond the `names` a method declares (by count or by name).
    pub fn expect_only(&self, names: &[&str]) -> Result<(), RpcError> {
        match self.0 {
            Some(Value::Array(items)) if items.len() > names.len() => {
                Err(RpcError::invalid_params(format!(
                    "expected at most {} parameters, got {}",
                    names.len(),
                    items.len()
                )))
            }
            Some(Value::Object(map)) => match map.keys().find(|key| !names.contains(&key.as_str()))
            {
                Some(unknown) => Err(RpcError::invalid_params(format!(
                    "unknown parameter {unknown:?}"
                ))),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// The raw value of parameter `name` at position `index`; `null` counts as absent.
    pub fn get(&self, index: usize, name: &str) -> Option<&'a Value> {
        let value = match self.0 {
            Some(Value::Array(items)) => items.get(index),
            Some(Value::Object(map)) => map.get(name),
            _ => None,
        };
        value.filter(|value| !value.is_null())
    }

    /// A required parameter.
    pub fn required<T: DeserializeOwned>(&self, index: usize, name: &str) -> Result<T, RpcError> {
        self.optional(index, name)?
            .ok_or_else(|| RpcError::invalid_params(format!("missing parameter {name:?}")))
    }

    /// An optional parameter.
    pub fn optional<T: DeserializeOwned>(
        &self,
        index: usize,
        name: &str,
    ) -> Result<Option<T>, RpcError> {
        self.get(index, name)
            .map(|value| {
                T::deserialize(value)
                    .map_err(|err| RpcError::invalid_params(format!("parameter {name:?}: {err}")))
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn positional_and_named_agree() {
        let positional = json!([7, true]);
        let named = json!({"height": 7, "full": true});
        for value in [&positional, &named] {
            let params = Params::new(Some(value));
            assert_eq!(params.required::<u64>(0, "height").unwrap(), 7);
            assert_eq!(params.optional::<bool>(1, "full").unwrap(), Some(true));
            params.expect_only(&["height", "full"]).unwrap();
        }
    }

    #[test]
    fn missing_mistyped_and_extra_are_invalid_params() {
        let none = Params::new(None);
        assert_eq!(
            none.required::<u64>(0, "height").unwrap_err().code,
            super::super::code::INVALID_PARAMS
        );
        let wrong = json!(["seven"]);
        assert_eq!(
            Params::new(Some(&wrong))
                .required::<u64>(0, "height")
                .unwrap_err()
                .code,
            -32602
        );
        let extra = json!([1, 2, 3]);
        assert_eq!(
            Params::new(Some(&extra))
                .expect_only(&["a", "b"])
                .unwrap_err()
                .code,
            -32602
        );
        let unknown = json!({"a": 1, "zzz": 2});
        assert_eq!(
            Params::new(Some(&unknown))
                .expect_only(&["a", "b"])
                .unwrap_err()
                .code,
            -32602
        );
        let null = json!([null]);
        assert_eq!(
            Params::new(Some(&null)).optional::<u64>(0, "a").unwrap(),
            None
        );
    }
}
