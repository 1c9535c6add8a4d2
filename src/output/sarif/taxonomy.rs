//! The compliance frameworks of a run as SARIF taxonomies, and each rule's
//! relationships to their controls.

use super::*;

/// The compliance frameworks of the rules that ran (`runs[].taxonomies`),
/// each with its controls in document order.
pub(super) fn taxonomies(rules: &[&'static RuleMeta]) -> Vec<(Framework, Vec<&'static Control>)> {
    let mut out: Vec<(Framework, Vec<&'static Control>)> = Vec::new();
    for framework in Framework::ALL {
        let mut taxa: Vec<&'static Control> = Vec::new();
        for c in rules.iter().flat_map(|r| r.compliance) {
            if c.framework == framework && !taxa.iter().any(|t| t.id == c.id) {
                taxa.push(c);
            }
        }
        taxa.sort_by_key(|c| crate::rules::compliance::control_order(c.id));
        if !taxa.is_empty() {
            out.push((framework, taxa));
        }
    }
    out
}

/// `runs[].taxonomies`: a tool component per framework, a taxon per control.
pub(super) fn taxonomy_components(
    taxonomies: &[(Framework, Vec<&'static Control>)],
) -> Vec<ToolComponent> {
    taxonomies
        .iter()
        .map(|(framework, taxa)| {
            ToolComponent::builder()
                .name(framework.title())
                .taxa(
                    taxa.iter()
                        .map(|c| {
                            ReportingDescriptor::builder()
                                .id(c.id)
                                .name(c.title)
                                .short_description(plain(c.title))
                                .build()
                        })
                        .collect::<Vec<_>>(),
                )
                .build()
        })
        .collect()
}

/// A rule's controls as relationships to the run's taxonomies (kind
/// `relevant`: the rule helps meet the control, it is not the control).
pub(super) fn relationships(
    rule: &RuleMeta,
    taxonomies: &[(Framework, Vec<&'static Control>)],
) -> Option<Vec<ReportingDescriptorRelationship>> {
    let out: Vec<ReportingDescriptorRelationship> = rule
        .compliance
        .iter()
        .filter_map(|c| {
            let component = taxonomies.iter().position(|(f, _)| *f == c.framework)?;
            let taxon = taxonomies[component].1.iter().position(|t| t.id == c.id)?;
            Some(ReportingDescriptorRelationship {
                target: ReportingDescriptorReference {
                    id: Some(c.id.to_string()),
                    index: Some(taxon as i64),
                    tool_component: Some(ToolComponentReference {
                        name: Some(c.framework.title().to_string()),
                        index: Some(component as i64),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                kinds: Some(vec!["relevant".to_string()]),
                description: None,
                properties: None,
            })
        })
        .collect();
    (!out.is_empty()).then_some(out)
}
