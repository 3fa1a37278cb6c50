//! Product tools: search-target-products and get-agentforce-recommendations.

use rmcp::handler::server::common::schema_for_output;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{tool, tool_router};
use shared::product::{
    ProductSummary, Recommendation, RecommendationsInput, RecommendationsOutput, SearchInput, SearchOutput, SortOrder,
};
use shared::tool::ToolName;

use crate::catalog::SearchQuery;
use crate::error::AppError;
use crate::identity::shopper::Shopper;
use crate::mcp::handler::TargetMcp;
use crate::mcp::product_json::CatalogSummary;
use crate::mcp::reply::{Reply, ToolOutcome, plural};
use crate::recommend;

#[tool_router(router = product_tools, vis = "pub(crate)")]
impl TargetMcp {
    #[tool(
        name = "search-target-products",
        description = "Search Target's products and show them in a grid the shopper can add to cart from. \
                       Use maxPriceCents for budgets (under $40 = 4000) and sort for price-low, price-high or rating.",
        annotations(title = "Search Target", read_only_hint = true, destructive_hint = false,
                    idempotent_hint = true, open_world_hint = false),
        output_schema = schema_for_output::<SearchOutput>()
    )]
    pub(crate) async fn search_target_products(
        &self,
        Parameters(input): Parameters<SearchInput>,
    ) -> ToolOutcome<SearchOutput<CatalogSummary>> {
        input.validate()?;
        let session = self
            .shopper_if_any(input.session_id.as_ref(), ToolName::SearchTargetProducts)
            .await?
            .map(Shopper::into_session);
        let query = SearchQuery {
            text: input.query.trim().to_owned(),
            limit: input.limit_or_default(),
            sort: input.sort.unwrap_or(SortOrder::Relevance),
            max_price: input.max_price_cents,
        };
        let results = self.state.products.search(&query).await?;
        if let Some(session) = &session {
            self.state.store.record_search(&session.id, &query.text).await?;
        }
        let output = SearchOutput {
            query: query.text.clone(),
            total: results.total,
            products: results.products.iter().map(|p| self.state.product_json.summary(p)).collect(),
            source: self.state.products.kind(),
            cached: results.cached,
        };
        let sentence = match results.products.first() {
            None => format!("No Target products match \"{}\".", query.text),
            Some(first) => format!(
                "Found {} for \"{}\" (showing {}), starting with {} at {}.",
                plural(results.total as usize, "product", "products"),
                query.text,
                results.products.len(),
                first.title,
                first.price_cents.display_usd()
            ),
        };
        Ok(Reply::new(output, sentence).widget(session.as_ref(), results.products))
    }

    #[tool(
        name = "get-agentforce-recommendations",
        description = "Recommend Target products, each with a reason: products that pair with a given product, \
                       with the shopper's cart, or with what they searched before, or popular picks for a theme.",
        annotations(title = "Recommend Target products", read_only_hint = true, destructive_hint = false,
                    idempotent_hint = true, open_world_hint = false),
        output_schema = schema_for_output::<RecommendationsOutput>()
    )]
    pub(crate) async fn get_agentforce_recommendations(
        &self,
        Parameters(input): Parameters<RecommendationsInput>,
    ) -> ToolOutcome<RecommendationsOutput> {
        input.validate()?;
        let session = self
            .shopper_if_any(input.session_id.as_ref(), ToolName::GetAgentforceRecommendations)
            .await?
            .map(Shopper::into_session);
        let seed = match &input.product_id {
            Some(id) => {
                Some(self.state.products.product(id).await?.ok_or_else(|| AppError::ProductNotFound(id.to_string()))?)
            }
            None => None,
        };
        let picks = recommend::recommend(
            self.state.products.as_ref(),
            recommend::Signals {
                seed: seed.as_deref(),
                session: session.as_ref(),
                query: input.query.as_deref().map(str::trim).filter(|q| !q.is_empty()),
            },
            input.limit_or_default(),
        )
        .await?;
        let output = RecommendationsOutput {
            products: picks
                .iter()
                .map(|p| Recommendation { product: ProductSummary::from(&*p.product), reason: p.reason.clone() })
                .collect(),
            source: self.state.products.kind(),
        };
        let sentence = match picks.first() {
            None => "No recommendations right now; try a search instead.".to_owned(),
            Some(first) => format!(
                "Recommended {}, starting with {} ({}).",
                plural(picks.len(), "product", "products"),
                first.product.title,
                first.reason
            ),
        };
        let products = picks.into_iter().map(|p| p.product).collect();
        Ok(Reply::new(output, sentence).widget(session.as_ref(), products))
    }
}
