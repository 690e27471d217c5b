//! The JSON API under `/api/`: the same operations as the pages, for the pages' script and for
//! integrations, behind the same session and CSRF rules (`X-CSRF-Token` on state changes).
//! Errors are `{"error": "..."}` with the status of the error.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::extract::{Json, Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::App;
use crate::auth::Session;
use crate::data;
use crate::error::Error;
use crate::pages::{self, ChangeFields, QueueFilter, blocking};
use crate::users::Role;
use crate::view::{self, AlertRow};

/// An error as JSON.
pub fn error_response(e: &Error) -> Response {
    (e.status(), Json(json!({ "error": e.to_string() }))).into_response()
}

fn reply<T: serde::Serialize>(r: Result<T, Error>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => error_response(&e),
    }
}

/// `GET /api/alerts`: the queue's filters (`status`, `level`, `rule`, `group`, `since`, `q`,
/// `page`), 50 per page, newest first; `facets=true` adds the counts by facet.
pub async fn alerts(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Query(f): Query<QueueFilter>,
) -> Response {
    let z = view::zone(&s.tz);
    reply(
        blocking(&app, move |app| {
            let query = f.query()?;
            let page = f.page.max(1);
            let found = data::search(app, &query, 50, (page - 1) * 50, f.facets, z)?;
            let rows: Vec<AlertRow> = found.hits.iter().map(|h| AlertRow::of(h, z)).collect();
            let facets: serde_json::Map<String, Value> = found
                .facets
                .iter()
                .map(|(name, counts)| (name.clone(), json!(counts)))
                .collect();
            Ok(json!({ "total": found.total, "page": page, "alerts": rows, "facets": facets }))
        })
        .await,
    )
}

/// `GET /api/alerts/{id}`: the alert as raised, its state and history.
pub async fn alert(
    State(app): State<Arc<App>>,
    Extension(_s): Extension<Session>,
    Path(id): Path<String>,
) -> Response {
    reply(
        blocking(&app, move |app| {
            app.index.reload()?;
            let hit = app
                .index
                .get(&id)?
                .ok_or_else(|| Error::NotFound(format!("no alert with id {id}")))?;
            let history = canhgac_engine::workflow::AuditLog::new(&app.data_dir).history(&id)?;
            Ok(json!({
                "alert": hit.alert,
                "status": hit.state.status,
                "resolution": hit.state.resolution,
                "assignee": hit.state.assignee,
                "history": history,
            }))
        })
        .await,
    )
}

/// `POST /api/alerts/{id}/change` (analyst): `{"status", "resolution", "assignee", "comment"}`.
pub async fn change(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Path(id): Path<String>,
    Json(body): Json<ChangeFields>,
) -> Response {
    if let Err(e) = s.require(Role::Analyst) {
        return error_response(&e);
    }
    let who = s.user.clone();
    reply(
        blocking(&app, move |app| {
            let req = pages::change_request(
                &body.status,
                &body.resolution,
                &body.assignee,
                &body.comment,
                who,
            )?;
            let applied = pages::apply(app, &[id], &req)?;
            Ok(json!({ "applied": applied }))
        })
        .await,
    )
}

/// A console query through the API.
#[derive(Debug, Deserialize)]
pub struct SqlBody {
    sql: String,
}

/// `POST /api/sql` (analyst): `{"sql": "SELECT ..."}`, read-only, limited in rows and time.
pub async fn sql(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Json(body): Json<SqlBody>,
) -> Response {
    if let Err(e) = s.require(Role::Analyst) {
        return error_response(&e);
    }
    reply(blocking(&app, move |app| pages::run_console(app, &body.sql)).await)
}

/// `GET /api/dashboard`: the dashboard's figures.
pub async fn dashboard(State(app): State<Arc<App>>, Extension(s): Extension<Session>) -> Response {
    let z = view::zone(&s.tz);
    reply(blocking(&app, move |app| data::dashboard(app, z)).await)
}

/// `GET /api/stream`: server-sent events, one `alerts` event whenever the index holds more
/// alerts than at the last look (every 2 seconds), with the new total.
pub async fn stream(
    State(app): State<Arc<App>>,
    Extension(_s): Extension<Session>,
) -> Sse<impl futures::Stream<Item = Result<Event, Infallible>>> {
    let first = count(&app).await;
    let events = futures::stream::unfold((app, first), |(app, seen)| async move {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let now = count(&app).await;
            if now > seen {
                let event = Event::default()
                    .event("alerts")
                    .data(json!({ "total": now, "new": now - seen }).to_string());
                return Some((Ok(event), (app, now)));
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}

async fn count(app: &Arc<App>) -> u64 {
    blocking(app, |app| {
        app.index.reload()?;
        Ok(app.index.len())
    })
    .await
    .unwrap_or(0)
}
