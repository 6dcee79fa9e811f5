using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace KillSafe.CodeFixes;

/// <summary>
/// Whether an expression can be written once more somewhere else and mean the same thing there: no side
/// effects (literals, names, member chains, string concatenation of those), and every name binds to the
/// same symbol at the new position.
/// </summary>
internal static class RepeatableExpression
{
    public static bool CanRepeatAt(ExpressionSyntax expression, int position, SemanticModel model, CancellationToken cancellationToken) =>
        HasNoSideEffects(expression) && BindsTheSameAt(expression, position, model, cancellationToken);

    private static bool HasNoSideEffects(ExpressionSyntax expression) => expression switch
    {
        LiteralExpressionSyntax => true,
        IdentifierNameSyntax => true,
        ThisExpressionSyntax => true,
        MemberAccessExpressionSyntax member => HasNoSideEffects(member.Expression),
        ParenthesizedExpressionSyntax parenthesized => HasNoSideEffects(parenthesized.Expression),
        BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.AddExpression) => HasNoSideEffects(binary.Left) && HasNoSideEffects(binary.Right),
        _ => false,
    };

    private static bool BindsTheSameAt(ExpressionSyntax expression, int position, SemanticModel model, CancellationToken cancellationToken)
    {
        foreach (var name in expression.DescendantNodesAndSelf().OfType<SimpleNameSyntax>())
        {
            if (name.Parent is MemberAccessExpressionSyntax access && access.Name == name)
                continue; // bound through its receiver
            var original = model.GetSymbolInfo(name, cancellationToken).Symbol;
            var there = model.GetSpeculativeSymbolInfo(position, name, SpeculativeBindingOption.BindAsExpression).Symbol;
            if (original is null || !SymbolEqualityComparer.Default.Equals(original, there))
                return false;
        }

        return true;
    }
}
