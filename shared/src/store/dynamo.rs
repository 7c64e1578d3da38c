//! The DynamoDB adapter: one table, `pk`/`sk` string keys, TTL on `expires_at`.
//!
//! Reads are strongly consistent and filter `expires_at > now` (TTL deletion lags by days, and DynamoDB
//! Local never deletes). Writes always go through `TransactWriteItems`, so a single write and a multi-item
//! one share one code path and one error mapping; `ConditionalCheckFailed` becomes
//! [`StoreError::Conflict`] here, inside the adapter.
//!
//! Every read and write asks DynamoDB for the capacity it consumed (`ReturnConsumedCapacity=TOTAL`, free
//! of charge) and adds it to a meter shared by the adapter's clones: [`DynamoStore::consumed`] is what a
//! table in on-demand mode bills, in request units (a cancelled transaction is billed too but reports
//! nothing, so the meter undercounts conflicts).

use super::{Cond, IndexPage, Item, ItemStore, Key, StoreError, WriteOp, check_transaction};
use crate::clock::UnixTime;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, ConsumedCapacity, Delete, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, Put, ReturnConsumedCapacity, ScalarAttributeType, TimeToLiveSpecification, TransactWriteItem,
    Update,
};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

type Attrs = HashMap<String, AttributeValue>;

/// The secondary index (`gsi1pk`, `gsi1sk`, all attributes projected), named as in the SAM template.
pub const GSI1: &str = "gsi1";

/// The DynamoDB adapter. Cheap to clone; build the client once per cold start.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
    meter: Arc<Meter>,
}

/// Capacity units consumed, in thousandths.
#[derive(Debug, Default)]
struct Meter {
    read: AtomicU64,
    write: AtomicU64,
}

fn meter(counter: &AtomicU64, consumed: Option<&ConsumedCapacity>) {
    if let Some(units) = consumed.and_then(|c| c.capacity_units()) {
        counter.fetch_add((units * 1000.0).round() as u64, Relaxed);
    }
}

/// Read and write capacity units DynamoDB reported for this adapter's calls (all its clones).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Consumed {
    pub read_units: f64,
    pub write_units: f64,
}

fn sdk_err<E: ProvideErrorMetadata + std::error::Error + 'static, R>(e: SdkError<E, R>) -> StoreError {
    match &e {
        SdkError::ServiceError(s) => {
            let code = s.err().code().unwrap_or("unknown");
            if matches!(
                code,
                "ProvisionedThroughputExceededException" | "ThrottlingException" | "RequestLimitExceeded" | "InternalServerError"
            ) {
                StoreError::Unavailable(code.to_owned())
            } else {
                // The code only: messages may quote values.
                StoreError::Other(format!("dynamodb: {code}"))
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => StoreError::Unavailable("dynamodb unreachable".into()),
        _ => StoreError::Other("dynamodb: request failed".into()),
    }
}

fn to_attrs(item: &Item) -> Result<Attrs, StoreError> {
    let mut attrs: Attrs = serde_dynamo::to_item(&item.attrs).map_err(|e| StoreError::Other(format!("encoding item: {e}")))?;
    attrs.insert("pk".into(), AttributeValue::S(item.key.pk.clone()));
    attrs.insert("sk".into(), AttributeValue::S(item.key.sk.clone()));
    Ok(attrs)
}

fn from_attrs(mut attrs: Attrs) -> Result<Item, StoreError> {
    let pk = match attrs.remove("pk") {
        Some(AttributeValue::S(s)) => s,
        _ => return Err(StoreError::Corrupt("item without pk".into())),
    };
    let sk = match attrs.remove("sk") {
        Some(AttributeValue::S(s)) => s,
        _ => return Err(StoreError::Corrupt("item without sk".into())),
    };
    let map: Map<String, Value> = serde_dynamo::from_item(attrs).map_err(|e| StoreError::Corrupt(format!("decoding item: {e}")))?;
    Ok(Item::new(Key { pk, sk }, map))
}

fn key_attrs(key: &Key) -> Attrs {
    HashMap::from([("pk".to_owned(), AttributeValue::S(key.pk.clone())), ("sk".to_owned(), AttributeValue::S(key.sk.clone()))])
}

fn value(v: &Value) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(v).map_err(|e| StoreError::Other(format!("encoding value: {e}")))
}

/// A condition expression with its names and values, or `None` for [`Cond::Always`].
struct Expr {
    text: String,
    names: HashMap<String, String>,
    values: Attrs,
}

fn condition(cond: &Cond, now: UnixTime) -> Result<Option<Expr>, StoreError> {
    let mut names = HashMap::from([("#pk".to_owned(), "pk".to_owned())]);
    let mut values = Attrs::new();
    let text = match cond {
        Cond::Always => return Ok(None),
        Cond::Absent => {
            names.insert("#exp".into(), super::EXPIRES_AT.into());
            values.insert(":now".into(), AttributeValue::N(now.to_string()));
            "attribute_not_exists(#pk) OR #exp <= :now".to_owned()
        }
        Cond::Live | Cond::LiveWith(_) | Cond::LiveBelow { .. } => {
            names.insert("#exp".into(), super::EXPIRES_AT.into());
            values.insert(":now".into(), AttributeValue::N(now.to_string()));
            let mut text = "attribute_exists(#pk) AND (attribute_not_exists(#exp) OR #exp > :now)".to_owned();
            let pairs = match cond {
                Cond::LiveWith(pairs) | Cond::LiveBelow { equal: pairs, .. } => pairs.as_slice(),
                _ => &[],
            };
            for (i, (name, v)) in pairs.iter().enumerate() {
                names.insert(format!("#c{i}"), name.clone());
                values.insert(format!(":c{i}"), value(v)?);
                text.push_str(&format!(" AND #c{i} = :c{i}"));
            }
            if let Cond::LiveBelow { counter, limit, .. } = cond {
                names.insert("#below".into(), counter.clone());
                values.insert(":limit".into(), AttributeValue::N(limit.to_string()));
                // An absent counter is 0: below any positive limit, and below no other.
                text.push_str(if *limit > 0 { " AND (attribute_not_exists(#below) OR #below < :limit)" } else { " AND #below < :limit" });
            }
            text
        }
    };
    Ok(Some(Expr { text, names, values }))
}

impl DynamoStore {
    /// The query of a partition's live items whose sort key starts with `sk_prefix` (read consistently,
    /// metered), for `query_prefix` and `count_prefix` to page through.
    fn prefix_query(&self, pk: &str, sk_prefix: &str, now: UnixTime) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        let q = self
            .client
            .query()
            .table_name(&self.table)
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .expression_attribute_names("#pk", "pk")
            .expression_attribute_names("#exp", super::EXPIRES_AT)
            .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .filter_expression("attribute_not_exists(#exp) OR #exp > :now");
        if sk_prefix.is_empty() {
            q.key_condition_expression("#pk = :pk")
        } else {
            q.key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", "sk")
                .expression_attribute_values(":prefix", AttributeValue::S(sk_prefix.to_owned()))
        }
    }

    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore { client, table: table.into(), meter: Arc::default() }
    }

    /// The capacity consumed so far through this adapter and its clones.
    pub fn consumed(&self) -> Consumed {
        Consumed { read_units: self.meter.read.load(Relaxed) as f64 / 1000.0, write_units: self.meter.write.load(Relaxed) as f64 / 1000.0 }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Creates the table with TTL on `expires_at` if it does not exist (local mode and tests; in AWS the
    /// SAM template owns the table).
    pub async fn ensure_table(&self) -> Result<(), StoreError> {
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr_def("pk")?)
            .attribute_definitions(attr_def("sk")?)
            .attribute_definitions(attr_def(super::GSI1PK)?)
            .attribute_definitions(attr_def(super::GSI1SK)?)
            .key_schema(key_schema("pk", KeyType::Hash)?)
            .key_schema(key_schema("sk", KeyType::Range)?)
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(GSI1)
                    .key_schema(key_schema(super::GSI1PK, KeyType::Hash)?)
                    .key_schema(key_schema(super::GSI1SK, KeyType::Range)?)
                    .projection(Projection::builder().projection_type(ProjectionType::All).build())
                    .build()
                    .map_err(|e| StoreError::Other(e.to_string()))?,
            )
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(e) if e.as_service_error().and_then(|s| s.code()) == Some("ResourceInUseException") => {
                return Ok(());
            }
            Err(e) => return Err(sdk_err(e)),
        }
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(super::EXPIRES_AT)
                    .build()
                    .map_err(|e| StoreError::Other(e.to_string()))?,
            )
            .send()
            .await
            .map_err(sdk_err)?;
        Ok(())
    }

    /// Deletes the table (tests).
    pub async fn delete_table(&self) -> Result<(), StoreError> {
        self.client.delete_table().table_name(&self.table).send().await.map_err(sdk_err)?;
        Ok(())
    }

    fn write_item(&self, op: &WriteOp, now: UnixTime) -> Result<TransactWriteItem, StoreError> {
        let build = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Other(e.to_string());
        let cond = op.cond();
        let expr = condition(cond, now)?;
        let item = match op {
            WriteOp::Put { item, .. } => {
                let mut b = Put::builder().table_name(&self.table).set_item(Some(to_attrs(item)?));
                if let Some(e) = expr {
                    b = b
                        .condition_expression(e.text)
                        .set_expression_attribute_names(Some(e.names))
                        .set_expression_attribute_values(non_empty(e.values));
                }
                TransactWriteItem::builder().put(b.build().map_err(build)?).build()
            }
            WriteOp::Update { key, set, .. } if !set.is_empty() => {
                let (mut names, mut values) = expr.as_ref().map(|e| (e.names.clone(), e.values.clone())).unwrap_or_default();
                let (mut sets, mut removes) = (Vec::new(), Vec::new());
                for (i, (name, v)) in set.iter().enumerate() {
                    if name == "pk" || name == "sk" {
                        return Err(StoreError::Other("an update cannot change a key".into()));
                    }
                    names.insert(format!("#s{i}"), name.clone());
                    // null removes the attribute: a GSI key attribute cannot hold a NULL.
                    if v.is_null() {
                        removes.push(format!("#s{i}"));
                    } else {
                        values.insert(format!(":s{i}"), value(v)?);
                        sets.push(format!("#s{i} = :s{i}"));
                    }
                }
                let mut update = String::new();
                if !sets.is_empty() {
                    update.push_str(&format!("SET {}", sets.join(", ")));
                }
                if !removes.is_empty() {
                    update.push_str(&format!(" REMOVE {}", removes.join(", ")));
                }
                let mut b = Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_attrs(key)))
                    .update_expression(update.trim())
                    .set_expression_attribute_names(Some(names))
                    .set_expression_attribute_values(non_empty(values));
                if let Some(e) = expr {
                    b = b.condition_expression(e.text);
                }
                TransactWriteItem::builder().update(b.build().map_err(build)?).build()
            }
            WriteOp::Delete { key, .. } => {
                let mut b = Delete::builder().table_name(&self.table).set_key(Some(key_attrs(key)));
                if let Some(e) = expr {
                    b = b
                        .condition_expression(e.text)
                        .set_expression_attribute_names(Some(e.names))
                        .set_expression_attribute_values(non_empty(e.values));
                }
                TransactWriteItem::builder().delete(b.build().map_err(build)?).build()
            }
            WriteOp::Add { key, counters } if !counters.is_empty() => {
                let (mut names, mut values) = (HashMap::new(), HashMap::new());
                let mut adds = Vec::new();
                for (i, (name, by)) in counters.iter().enumerate() {
                    if name == "pk" || name == "sk" {
                        return Err(StoreError::Other("an update cannot change a key".into()));
                    }
                    names.insert(format!("#a{i}"), name.clone());
                    values.insert(format!(":a{i}"), AttributeValue::N(by.to_string()));
                    adds.push(format!("#a{i} :a{i}"));
                }
                let b = Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_attrs(key)))
                    .update_expression(format!("ADD {}", adds.join(", ")))
                    .set_expression_attribute_names(Some(names))
                    .set_expression_attribute_values(Some(values));
                TransactWriteItem::builder().update(b.build().map_err(build)?).build()
            }
            WriteOp::Add { .. } => return Ok(TransactWriteItem::builder().build()),
            WriteOp::Increment { key, counter, by, .. } => {
                if counter == "pk" || counter == "sk" {
                    return Err(StoreError::Other("an update cannot change a key".into()));
                }
                let (mut names, mut values) = expr.as_ref().map(|e| (e.names.clone(), e.values.clone())).unwrap_or_default();
                names.insert("#inc".into(), counter.clone());
                values.insert(":inc".into(), AttributeValue::N(by.to_string()));
                values.insert(":inc0".into(), AttributeValue::N("0".into()));
                let mut b = Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_attrs(key)))
                    .update_expression("SET #inc = if_not_exists(#inc, :inc0) + :inc")
                    .set_expression_attribute_names(Some(names))
                    .set_expression_attribute_values(Some(values));
                if let Some(e) = expr {
                    b = b.condition_expression(e.text);
                }
                TransactWriteItem::builder().update(b.build().map_err(build)?).build()
            }
            // A check, or an update with nothing to set: DynamoDB needs a condition for a check.
            WriteOp::Check { key, .. } | WriteOp::Update { key, .. } => {
                let Some(e) = expr else {
                    return Ok(TransactWriteItem::builder().build());
                };
                let b = ConditionCheck::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_attrs(key)))
                    .condition_expression(e.text)
                    .set_expression_attribute_names(Some(e.names))
                    .set_expression_attribute_values(non_empty(e.values));
                TransactWriteItem::builder().condition_check(b.build().map_err(build)?).build()
            }
        };
        Ok(item)
    }
}

fn non_empty(values: Attrs) -> Option<Attrs> {
    (!values.is_empty()).then_some(values)
}

fn attr_def(name: &str) -> Result<AttributeDefinition, StoreError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| StoreError::Other(e.to_string()))
}

fn key_schema(name: &str, kind: KeyType) -> Result<KeySchemaElement, StoreError> {
    KeySchemaElement::builder().attribute_name(name).key_type(kind).build().map_err(|e| StoreError::Other(e.to_string()))
}

fn is_empty_write(w: &TransactWriteItem) -> bool {
    w.put.is_none() && w.update.is_none() && w.delete.is_none() && w.condition_check.is_none()
}

#[async_trait::async_trait]
impl ItemStore for DynamoStore {
    async fn get(&self, key: &Key, now: UnixTime) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(sdk_err)?;
        meter(&self.meter.read, out.consumed_capacity());
        match out.item {
            Some(attrs) => Ok(Some(from_attrs(attrs)?).filter(|i| i.is_live(now))),
            None => Ok(None),
        }
    }

    async fn query_prefix(&self, pk: &str, sk_prefix: &str, now: UnixTime, limit: usize) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<Attrs> = None;
        // Bounded: each page returns at least one evaluated item or ends the loop; `limit` bounds the total.
        loop {
            let out = self.prefix_query(pk, sk_prefix, now).set_exclusive_start_key(start.take()).send().await.map_err(sdk_err)?;
            meter(&self.meter.read, out.consumed_capacity());
            for attrs in out.items.unwrap_or_default() {
                items.push(from_attrs(attrs)?);
            }
            if items.len() > limit {
                return Err(StoreError::Limit(format!("more than {limit} items in one partition")));
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    async fn count_prefix(&self, pk: &str, sk_prefix: &str, now: UnixTime, limit: usize) -> Result<usize, StoreError> {
        // The same query as `query_prefix`, answering counts only (the same read units, none of the items).
        let mut n = 0;
        let mut start: Option<Attrs> = None;
        loop {
            let out = self
                .prefix_query(pk, sk_prefix, now)
                .select(aws_sdk_dynamodb::types::Select::Count)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_err)?;
            meter(&self.meter.read, out.consumed_capacity());
            n += usize::try_from(out.count).unwrap_or(0);
            if n > limit {
                return Err(StoreError::Limit(format!("more than {limit} items in one partition")));
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(n),
            }
        }
    }

    async fn query_first(&self, pk: &str, now: UnixTime, limit: usize) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<Attrs> = None;
        while items.len() < limit {
            // `Limit` bounds the items evaluated (before the expiry filter): ask for what is still missing.
            let want = i32::try_from(limit - items.len()).unwrap_or(i32::MAX);
            let out = self.prefix_query(pk, "", now).limit(want).set_exclusive_start_key(start.take()).send().await.map_err(sdk_err)?;
            meter(&self.meter.read, out.consumed_capacity());
            for attrs in out.items.unwrap_or_default() {
                items.push(from_attrs(attrs)?);
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        items.truncate(limit);
        Ok(items)
    }

    async fn query_index(&self, index_pk: &str, now: UnixTime, limit: usize) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<Attrs> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .key_condition_expression("#g = :g")
                .filter_expression("attribute_not_exists(#exp) OR #exp > :now")
                .expression_attribute_names("#g", super::GSI1PK)
                .expression_attribute_names("#exp", super::EXPIRES_AT)
                .expression_attribute_values(":g", AttributeValue::S(index_pk.to_owned()))
                .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_err)?;
            meter(&self.meter.read, out.consumed_capacity());
            for attrs in out.items.unwrap_or_default() {
                items.push(from_attrs(attrs)?);
            }
            if items.len() > limit {
                return Err(StoreError::Limit(format!("more than {limit} items in one index partition")));
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                // Same order as the embedded store: index sort key, then primary key.
                _ => {
                    items.sort_by(|a, b| {
                        let sk = |i: &Item| i.attrs.get(super::GSI1SK).and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
                        sk(a).cmp(&sk(b)).then_with(|| a.key.cmp(&b.key))
                    });
                    return Ok(items);
                }
            }
        }
    }

    async fn query_index_page(
        &self,
        index_pk: &str,
        sk_prefix: &str,
        after: Option<&str>,
        now: UnixTime,
        limit: usize,
    ) -> Result<IndexPage, StoreError> {
        // One sort-key condition only: `begins_with`, `>`, or (both) BETWEEN the later of the two bounds and
        // the prefix's end, the bound itself skipped below (BETWEEN is inclusive).
        let end = format!("{sk_prefix}{}", char::MAX);
        let low = match after {
            Some(a) if a >= sk_prefix => Some(a.to_owned()),
            Some(_) | None if !sk_prefix.is_empty() => Some(sk_prefix.to_owned()),
            _ => None,
        };
        if low.as_deref().is_some_and(|l| !sk_prefix.is_empty() && l > end.as_str()) {
            return Ok(IndexPage::default());
        }
        let mut items: Vec<Item> = Vec::new();
        let mut start: Option<Attrs> = None;
        loop {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .filter_expression("attribute_not_exists(#exp) OR #exp > :now")
                .expression_attribute_names("#g", super::GSI1PK)
                .expression_attribute_names("#exp", super::EXPIRES_AT)
                .expression_attribute_values(":g", AttributeValue::S(index_pk.to_owned()))
                .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
                // Pages of about what is still needed (expired items are filtered after the limit).
                .limit(((limit + 1 - items.len()) as i32).clamp(1, 1000))
                .set_exclusive_start_key(start.take());
            q = match &low {
                None => q.key_condition_expression("#g = :g"),
                Some(low) if sk_prefix.is_empty() => q
                    .key_condition_expression("#g = :g AND #s > :low")
                    .expression_attribute_names("#s", super::GSI1SK)
                    .expression_attribute_values(":low", AttributeValue::S(low.clone())),
                Some(low) => q
                    .key_condition_expression("#g = :g AND #s BETWEEN :low AND :end")
                    .expression_attribute_names("#s", super::GSI1SK)
                    .expression_attribute_values(":low", AttributeValue::S(low.clone()))
                    .expression_attribute_values(":end", AttributeValue::S(end.clone())),
            };
            let out = q.send().await.map_err(sdk_err)?;
            meter(&self.meter.read, out.consumed_capacity());
            for attrs in out.items.unwrap_or_default() {
                let item = from_attrs(attrs)?;
                let sk = item.attrs.get(super::GSI1SK).and_then(|v| v.as_str()).unwrap_or_default();
                if after.is_some_and(|a| sk <= a) {
                    continue;
                }
                items.push(item);
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() && items.len() <= limit => start = Some(k),
                _ => return Ok(IndexPage::of(items, limit)),
            }
        }
    }

    async fn transact(&self, ops: Vec<WriteOp>, now: UnixTime) -> Result<(), StoreError> {
        check_transaction(&ops)?;
        let writes: Vec<TransactWriteItem> = ops
            .iter()
            .map(|op| self.write_item(op, now))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|w| !is_empty_write(w))
            .collect();
        if writes.is_empty() {
            return Ok(());
        }
        let sent = self
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match sent {
            Ok(out) => {
                for c in out.consumed_capacity() {
                    meter(&self.meter.write, Some(c));
                }
                Ok(())
            }
            Err(e) => {
                if let Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c)) =
                    e.as_service_error()
                {
                    let codes: Vec<&str> = c.cancellation_reasons().iter().filter_map(|r| r.code()).collect();
                    if codes.iter().any(|c| matches!(*c, "ConditionalCheckFailed" | "TransactionConflict")) {
                        return Err(StoreError::Conflict);
                    }
                    if codes.iter().any(|c| matches!(*c, "ThrottlingError" | "ProvisionedThroughputExceeded")) {
                        return Err(StoreError::Unavailable("dynamodb throttled the transaction".into()));
                    }
                    return Err(StoreError::Other(format!("dynamodb transaction cancelled: {codes:?}")));
                }
                if e.as_service_error().and_then(|s| s.code()) == Some("TransactionInProgressException") {
                    return Err(StoreError::Conflict);
                }
                Err(sdk_err(e))
            }
        }
    }

    async fn dump(&self) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<Attrs> = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_err)?;
            for attrs in out.items.unwrap_or_default() {
                items.push(from_attrs(attrs)?);
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        items.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(items)
    }

    /// DynamoDB's TTL process deletes expired items itself; reads already ignore them.
    async fn sweep_expired(&self, _now: UnixTime) -> Result<usize, StoreError> {
        Ok(0)
    }
}
