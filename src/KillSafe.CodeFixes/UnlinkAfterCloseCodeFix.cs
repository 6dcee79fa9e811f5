using System.Collections.Immutable;
using System.Composition;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;

namespace KillSafe.CodeFixes;

/// <summary>KS2002 fix: delete the socket file right after the <c>close</c> of the same socket.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UnlinkAfterCloseCodeFix)), Shared]
public sealed class UnlinkAfterCloseCodeFix : DocumentEditingCodeFix
{
    public const string EquivalenceKey = "KS2002.UnlinkAfterClose";
    public const string Title = "Remove the socket file after closing the socket";

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RawUnixSocketNeverUnlinkedAnalyzer.DiagnosticId);

    internal override IReadOnlyList<(string Key, string Title)> Actions { get; } = new[] { (EquivalenceKey, Title) };

    internal override bool CanFix(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, string key, CancellationToken cancellationToken) =>
        Plan(root, model, diagnostic, cancellationToken) is not null;

    internal override bool Edit(FixSession session, Diagnostic diagnostic)
    {
        // Two binds of one socket share a close: remove after it once.
        if (Plan(session.Root, session.Model, diagnostic, session.CancellationToken) is not { } plan || !session.Taken.Add("close@" + plan.Close.SpanStart))
            return false;
        var delete = SyntaxFactory.ParseStatement("global::System.IO.File.Delete(" + plan.Path.WithoutTrivia() + ");" + System.Environment.NewLine)
            .WithAdditionalAnnotations(Simplifier.Annotation);
        return StatementInsertion.InsertAfter(session.Editor, plan.Close, new[] { delete });
    }

    private static (InvocationExpressionSyntax Close, ExpressionSyntax Path)? Plan(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (diagnostic.AdditionalLocations.Count == 0)
            return null;
        var bindNode = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>();
        var pathNode = root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true);
        var path = pathNode is ArgumentSyntax argument ? argument.Expression : pathNode as ExpressionSyntax;
        if (bindNode is null || path is null || model.GetOperation(bindNode, cancellationToken) is not IInvocationOperation bind || bind.Arguments.Length == 0)
            return null;
        var catalog = CatalogView.Create(model.Compilation, ResourceKind.ListeningSocket);
        if (catalog is null || model.GetEnclosingSymbol(bindNode.SpanStart, cancellationToken)?.ContainingType is not { } type)
            return null;

        // The close(2) of the same fd, anywhere in the type (Stop, Dispose, later in the same method).
        var resolver = new IdentityResolver(model, catalog, cancellationToken);
        var fd = resolver.Resolve(IdentityResolver.ArgumentFor(bind.Arguments, 0));
        if (fd.IsUnknown)
            return null;
        var bodies = new List<IOperation> { IdentityResolver.Root(bind) };
        bodies.AddRange(resolver.TypeBodies(type));
        foreach (var close in bodies.SelectMany(b => b.DescendantsAndSelf()).OfType<IInvocationOperation>())
        {
            if (catalog.Match(close.TargetMethod) is not { Role: ApiRole.Close } row || SocketCalls.HandleOf(close, row) is not { } handle || !resolver.Resolve(handle).Equals(fd))
                continue;
            if (close.Syntax is InvocationExpressionSyntax closeSyntax && StatementInsertion.CanInsertAround(closeSyntax)
                && RepeatableExpression.CanRepeatAt(path, closeSyntax.Span.End, model, cancellationToken))
            {
                return (closeSyntax, path);
            }
        }

        return null;
    }
}
