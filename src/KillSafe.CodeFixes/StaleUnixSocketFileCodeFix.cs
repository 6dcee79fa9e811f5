using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;

namespace KillSafe.CodeFixes
{
    /// <summary>
    /// KS2001 fix: remove a stale socket file right before the bind, through a file-local helper that
    /// deletes only a socket file nobody listens on (never a regular file, never a live listener's path).
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(StaleUnixSocketFileCodeFix)), Shared]
    public sealed class StaleUnixSocketFileCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = "KS2001.RemoveStaleSocketFile";
        public const string Title = "Remove a stale socket file before binding (only a socket file nobody listens on)";

        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(StaleUnixSocketFileAnalyzer.DiagnosticId);

        public override FixAllProvider GetFixAllProvider() =>
            FixAllProvider.Create((context, document, diagnostics) => FixDocumentAsync(document, diagnostics, context.CancellationToken));

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null || model is null || !StaleSocketHelper.IsAvailable(root))
                return;
            foreach (var diagnostic in context.Diagnostics)
            {
                if (PlanFor(root, model, diagnostic, context.CancellationToken) is null)
                    continue;
                context.RegisterCodeFix(
                    CodeAction.Create(Title, async ct => await FixDocumentAsync(context.Document, ImmutableArray.Create(diagnostic), ct).ConfigureAwait(false) ?? context.Document, EquivalenceKey),
                    diagnostic);
            }
        }

        /// <summary>The bind expression and the path expression to repeat before it, or null when the fix does not apply.</summary>
        private static (InvocationExpressionSyntax Bind, ExpressionSyntax Path)? PlanFor(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
        {
            if (!diagnostic.Properties.TryGetValue(StaleUnixSocketFileAnalyzer.HasPathLocation, out var has) || has != "true" || diagnostic.AdditionalLocations.Count == 0)
                return null;
            var bind = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>();
            var pathNode = root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true);
            var path = pathNode is ArgumentSyntax argument ? argument.Expression : pathNode as ExpressionSyntax;
            if (bind is null || path is null || !StatementInsertion.CanInsertAround(bind))
                return null;

            // The path is evaluated once more, before the bind: only repeat what means the same thing there.
            return RepeatableExpression.CanRepeatAt(path, bind.SpanStart, model, cancellationToken) ? (bind, path) : null;
        }

        private static async Task<Document?> FixDocumentAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || model is null || !StaleSocketHelper.IsAvailable(root))
                return document;

            var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
            bool changed = false;
            foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
            {
                var plan = PlanFor(root, model, diagnostic, cancellationToken);
                if (plan is null)
                    continue;

                changed |= StatementInsertion.InsertBefore(editor, plan.Value.Bind, new[] { StaleSocketHelper.Call(plan.Value.Path.WithoutTrivia()) });
            }

            if (!changed)
                return document;
            var newRoot = StaleSocketHelper.EnsureDeclared(editor.GetChangedRoot());
            return document.WithSyntaxRoot(newRoot);
        }
    }
}
