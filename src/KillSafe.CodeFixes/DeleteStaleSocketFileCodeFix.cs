using System.Collections.Immutable;
using System.Composition;
using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace KillSafe.CodeFixes;

/// <summary>
/// KS2001 fixes. First (the one bulk tools such as <c>dotnet format</c> apply): remove a stale socket file
/// right before the bind, through a file-local helper that deletes only a socket file nobody listens on
/// (never a regular file, never a live listener's path). Second, for Linux-only code: bind an abstract
/// name instead (see <see cref="AbstractSocketName"/>); it changes what clients connect to, so it is
/// never the default.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DeleteStaleSocketFileCodeFix)), Shared]
public sealed class DeleteStaleSocketFileCodeFix : DocumentEditingCodeFix
{
    public const string EquivalenceKey = "KS2001.RemoveStaleSocketFile";
    public const string Title = "Remove a stale socket file before binding (only a socket file nobody listens on)";
    public const string AbstractNameKey = "KS2001.AbstractName";
    public const string AbstractNameTitle = "Use an abstract socket name (Linux only; no file, but no permissions: check SO_PEERCRED, clients use the same name)";

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(StaleUnixSocketFileAnalyzer.DiagnosticId);

    internal override IReadOnlyList<(string Key, string Title)> Actions { get; } = new[] { (EquivalenceKey, Title), (AbstractNameKey, AbstractNameTitle) };

    internal override bool CanFix(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, string key, CancellationToken cancellationToken) =>
        key == AbstractNameKey
            ? AbstractSocketName.PathOf(root, diagnostic) is not null
            : StaleSocketHelper.IsAvailable(root) && PlanFor(root, model, diagnostic, cancellationToken) is not null;

    internal override bool Edit(FixSession session, Diagnostic diagnostic)
    {
        if (session.EquivalenceKey == AbstractNameKey)
            return AbstractSocketName.Edit(session.Editor, session.Root, diagnostic);
        return PlanFor(session.Root, session.Model, diagnostic, session.CancellationToken) is { } plan
            && StatementInsertion.InsertBefore(session.Editor, plan.Bind, new[] { StaleSocketHelper.Call(plan.Path.WithoutTrivia()) });
    }

    internal override SyntaxNode Complete(FixSession session, SyntaxNode changedRoot) =>
        session.EquivalenceKey == AbstractNameKey ? changedRoot : StaleSocketHelper.EnsureDeclared(changedRoot);

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
}
