using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace KillSafe.CodeFixes
{
    /// <summary>KS3003 fix: <c>new LingerOption(true, 0)</c> becomes <c>new LingerOption(false, 0)</c>: close delivers unsent data.</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(GracefulCloseCodeFix)), Shared]
    public sealed class GracefulCloseCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = "KS3003.Graceful";
        public const string Title = "Close gracefully: turn lingering off (LingerOption(false, 0)) so unsent data is delivered";

        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(AbortiveCloseAnalyzer.DiagnosticId);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null)
                return;
            foreach (var diagnostic in context.Diagnostics)
            {
                // Only a LingerOption written at the flagged site: a shared instance may be used elsewhere too.
                var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
                var creation = node.DescendantNodesAndSelf().OfType<BaseObjectCreationExpressionSyntax>()
                    .FirstOrDefault(c => c.ArgumentList?.Arguments.Count == 2);
                var enable = creation?.ArgumentList?.Arguments[0];
                if (enable is null)
                    continue;
                var replacement = enable.WithExpression(SyntaxFactory.LiteralExpression(SyntaxKind.FalseLiteralExpression).WithTriviaFrom(enable.Expression));
                context.RegisterCodeFix(
                    CodeAction.Create(Title, _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(enable, replacement))), EquivalenceKey),
                    diagnostic);
            }
        }
    }
}
