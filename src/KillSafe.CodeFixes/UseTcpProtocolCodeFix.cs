using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;

namespace KillSafe.CodeFixes
{
    /// <summary>KS3002 fix: create the socket with ProtocolType.Tcp, which gets .NET's implicit SO_REUSEADDR (FACTS.md).</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UseTcpProtocolCodeFix)), Shared]
    public sealed class UseTcpProtocolCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = "KS3002.UseTcp";
        public const string Title = "Create the socket with ProtocolType.Tcp (.NET then sets SO_REUSEADDR itself)";

        public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(ManagedListenerMissesReuseAddressAnalyzer.DiagnosticId);

        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null)
                return;
            foreach (var diagnostic in context.Diagnostics)
            {
                if (!diagnostic.Properties.TryGetValue(ManagedListenerMissesReuseAddressAnalyzer.CanUseTcp, out var can) || can != "true" || diagnostic.AdditionalLocations.Count == 0)
                    continue;
                var node = root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true);
                var protocol = node is ArgumentSyntax argument ? argument.Expression : node as ExpressionSyntax;
                if (protocol is null)
                    continue;
                var tcp = SyntaxFactory.ParseExpression("global::System.Net.Sockets.ProtocolType.Tcp").WithTriviaFrom(protocol).WithAdditionalAnnotations(Simplifier.Annotation);
                context.RegisterCodeFix(
                    CodeAction.Create(Title, _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(protocol, tcp))), EquivalenceKey),
                    diagnostic);
            }
        }
    }
}
