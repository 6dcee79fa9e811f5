using System.Collections.Immutable;
using System.Composition;
using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace KillSafe.CodeFixes;

/// <summary>KS3003 fix: <c>new LingerOption(true, 0)</c> becomes <c>new LingerOption(false, 0)</c>: close delivers unsent data.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(GracefulCloseCodeFix)), Shared]
public sealed class GracefulCloseCodeFix : DocumentEditingCodeFix
{
    public const string EquivalenceKey = "KS3003.Graceful";
    public const string Title = "Close gracefully: turn lingering off (LingerOption(false, 0)) so unsent data is delivered";

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(AbortiveCloseAnalyzer.DiagnosticId);

    internal override IReadOnlyList<(string Key, string Title)> Actions { get; } = new[] { (EquivalenceKey, Title) };

    internal override bool CanFix(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, string key, CancellationToken cancellationToken) =>
        EnableArgument(root, diagnostic) is not null;

    internal override bool Edit(FixSession session, Diagnostic diagnostic)
    {
        if (EnableArgument(session.Root, diagnostic) is not { } enable)
            return false;
        session.Editor.ReplaceNode(enable, enable.WithExpression(SyntaxFactory.LiteralExpression(SyntaxKind.FalseLiteralExpression).WithTriviaFrom(enable.Expression)));
        return true;
    }

    /// <summary>The first argument of a LingerOption written at the flagged site: a shared instance may be used elsewhere too.</summary>
    private static ArgumentSyntax? EnableArgument(SyntaxNode root, Diagnostic diagnostic) =>
        root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)
            .DescendantNodesAndSelf().OfType<BaseObjectCreationExpressionSyntax>()
            .FirstOrDefault(c => c.ArgumentList?.Arguments.Count == 2)?.ArgumentList?.Arguments[0];
}
