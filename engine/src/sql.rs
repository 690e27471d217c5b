//! SQL over the event store with DataFusion: the `events` table is the Parquet store, with the day
//! partition available as the `date` column; the `alerts` table is the alert log;
//! `event_rollup` (hourly counts) and `deny_rollup` (denies per source address) are the rollups
//! kept beside the event files. Queries are read-only: DDL, DML and statements that change
//! session state are refused.

use std::path::Path;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::DataType;
use datafusion::catalog::Session;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::{MemTable, TableProvider, TableType};
use datafusion::execution::context::{SQLOptions, SessionContext};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;

use crate::error::{Error, Result};
use crate::store::{EVENTS_DIR, schema};

/// Output formats of query results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// An aligned text table.
    Table,
    /// CSV with a header row.
    Csv,
    /// One JSON object per row.
    Json,
}

/// A session with the data directory's tables registered.
pub async fn session(data_dir: &Path) -> Result<SessionContext> {
    let ctx = SessionContext::new();
    let events = partitioned_parquet(&data_dir.join(EVENTS_DIR), schema())?;
    ctx.register_table("events", Arc::new(events))?;
    for (table, kind, schema) in [
        (
            "event_rollup",
            crate::rollup::HOURLY,
            crate::rollup::hourly_schema(),
        ),
        (
            "deny_rollup",
            crate::rollup::DENIES,
            crate::rollup::denies_schema(),
        ),
    ] {
        let dir = data_dir.join(crate::rollup::ROLLUPS_DIR).join(kind);
        ctx.register_table(table, Arc::new(partitioned_parquet(&dir, schema)?))?;
    }
    ctx.register_table(
        "alerts",
        Arc::new(AlertsTable {
            data_dir: data_dir.to_owned(),
        }),
    )?;
    Ok(ctx)
}

/// The `alerts` table, read from the alert log only when a query scans it: a session for a
/// query that does not name it (the report's rollup queries) must not parse the whole log.
#[derive(Debug)]
struct AlertsTable {
    data_dir: std::path::PathBuf,
}

#[async_trait::async_trait]
impl TableProvider for AlertsTable {
    fn schema(&self) -> arrow::datatypes::SchemaRef {
        crate::alerts::alerts_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let alerts = crate::alerts::alerts_batch(&self.data_dir)
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
        MemTable::try_new(alerts.schema(), vec![vec![alerts]])?
            .scan(state, projection, filters, limit)
            .await
    }
}

/// Parquet files under `dir/date=YYYY-MM-DD/`, with `date` as a column.
fn partitioned_parquet(dir: &Path, schema: arrow::datatypes::SchemaRef) -> Result<ListingTable> {
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let dir = dir.canonicalize().map_err(Error::io(dir))?;
    let url = ListingTableUrl::parse(format!("{}/", dir.display()))?;
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(".parquet")
        .with_table_partition_cols(vec![("date".to_owned(), DataType::Utf8)]);
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .with_schema(schema);
    Ok(ListingTable::try_new(config)?)
}

/// Runs one read-only query.
pub async fn query(data_dir: &Path, sql: &str) -> Result<Vec<RecordBatch>> {
    let ctx = session(data_dir).await?;
    let options = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    let frame = ctx.sql_with_options(sql, options).await?;
    Ok(frame.collect().await?)
}

/// Runs one read-only query, keeping at most `max_rows` rows: the rest is never computed (the
/// stream is dropped). Returns the batches and whether rows were cut. Dropping the future stops
/// the query, so a caller's timeout ends it.
pub async fn query_limited(
    data_dir: &Path,
    sql: &str,
    max_rows: usize,
) -> Result<(Vec<RecordBatch>, bool)> {
    use futures::StreamExt;
    let ctx = session(data_dir).await?;
    let options = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    let plan = ctx
        .sql_with_options(sql, options)
        .await?
        .create_physical_plan()
        .await?;
    let mut stream = datafusion::physical_plan::execute_stream(cooperative(plan)?, ctx.task_ctx())?;
    let mut batches = Vec::new();
    let mut rows = 0;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let room = max_rows - rows;
        if batch.num_rows() > room {
            batches.push(batch.slice(0, room));
            return Ok((batches, true));
        }
        rows += batch.num_rows();
        batches.push(batch);
        if rows == max_rows {
            return Ok((batches, stream.next().await.is_some()));
        }
    }
    Ok((batches, false))
}

/// `plan` with every operator's output made cooperative: each batch spends tokio's task budget,
/// so a query yields to the scheduler regularly even inside an operator that consumes its whole
/// input in one poll (an aggregate over a cross join). A task that yields can be cancelled:
/// this is what lets a timeout actually stop a query rather than merely stop waiting for it.
fn cooperative(plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    use datafusion::common::tree_node::{Transformed, TreeNode};
    use datafusion::physical_plan::coop::CooperativeExec;
    Ok(plan
        .transform_up(|node| {
            let wrapped: Arc<dyn ExecutionPlan> = Arc::new(CooperativeExec::new(node));
            Ok(Transformed::yes(wrapped))
        })?
        .data)
}

/// Streams the stored events with `ts` at or after `since_micros`, in time order, batch by batch
/// (a hunt: rules run over the store). Memory stays bounded by the sort, not the result.
pub fn scan_events_blocking(
    data_dir: &Path,
    since_micros: i64,
    mut on_batch: impl FnMut(RecordBatch) -> Result<()>,
) -> Result<()> {
    use futures::StreamExt;
    let runtime = runtime()?;
    runtime.block_on(async {
        let ctx = session(data_dir).await?;
        let sql = format!(
            "SELECT * FROM events WHERE ts >= to_timestamp_micros({since_micros}) ORDER BY ts"
        );
        let mut stream = ctx.sql(&sql).await?.execute_stream().await?;
        while let Some(batch) = stream.next().await {
            on_batch(batch?)?;
        }
        Ok(())
    })
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::io("<tokio runtime>"))
}

/// [`query`] on a runtime of its own, for synchronous callers such as the CLI.
pub fn query_blocking(data_dir: &Path, sql: &str) -> Result<Vec<RecordBatch>> {
    runtime()?.block_on(query(data_dir, sql))
}

/// Renders batches in a format.
pub fn render(batches: &[RecordBatch], format: OutputFormat) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    match format {
        OutputFormat::Table => {
            let table = arrow::util::pretty::pretty_format_batches(batches)?;
            out.extend_from_slice(table.to_string().as_bytes());
            out.push(b'\n');
        }
        OutputFormat::Csv => {
            let mut writer = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut out);
            for batch in batches {
                writer.write(batch)?;
            }
        }
        OutputFormat::Json => {
            let mut writer = arrow::json::LineDelimitedWriter::new(&mut out);
            writer.write_batches(&batches.iter().collect::<Vec<_>>())?;
            writer.finish()?;
        }
    }
    Ok(out)
}
