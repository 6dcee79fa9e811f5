using System.Collections.Immutable;
using System.Composition;
using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;

namespace KillSafe.CodeFixes;

/// <summary>KS3002 fix: set SocketOptionName.ReuseAddress on the socket right before Bind.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ReuseAddressBeforeBindCodeFix)), Shared]
public sealed class ReuseAddressBeforeBindCodeFix : DocumentEditingCodeFix
{
    public const string EquivalenceKey = "KS3002.ReuseAddress";
    public const string Title = "Set ReuseAddress before Bind";

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(ManagedListenerMissesReuseAddressAnalyzer.DiagnosticId);

    internal override IReadOnlyList<(string Key, string Title)> Actions { get; } = new[] { (EquivalenceKey, Title) };

    internal override bool CanFix(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, string key, CancellationToken cancellationToken) =>
        Plan(root, model, diagnostic, cancellationToken) is not null;

    internal override bool Edit(FixSession session, Diagnostic diagnostic)
    {
        if (Plan(session.Root, session.Model, diagnostic, session.CancellationToken) is not { } plan)
            return false;
        var statement = SyntaxFactory.ParseStatement(
                plan.Socket.WithoutTrivia() + ".SetSocketOption(global::System.Net.Sockets.SocketOptionLevel.Socket, global::System.Net.Sockets.SocketOptionName.ReuseAddress, true);" + System.Environment.NewLine)
            .WithAdditionalAnnotations(Simplifier.Annotation);
        return StatementInsertion.InsertBefore(session.Editor, plan.Bind, new[] { statement });
    }

    private static (InvocationExpressionSyntax Bind, ExpressionSyntax Socket)? Plan(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var bind = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>();
        if (bind?.Expression is not MemberAccessExpressionSyntax { Expression: { } socket } || !StatementInsertion.CanInsertAround(bind))
            return null;
        return RepeatableExpression.CanRepeatAt(socket, bind.SpanStart, model, cancellationToken) ? (bind, socket) : null;
    }
}
