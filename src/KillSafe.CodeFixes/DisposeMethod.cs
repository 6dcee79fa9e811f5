using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace KillSafe.CodeFixes;

/// <summary>Where fixes put cleanup that must run when the owner is disposed.</summary>
internal static class DisposeMethod
{
    /// <summary>Appends to <c>Dispose()</c>, or implements <c>IDisposable</c> with a Dispose that removes.</summary>
    public static void Append(DocumentEditor editor, ClassDeclarationSyntax owner, List<StatementSyntax> statements)
    {
        var dispose = owner.Members.OfType<MethodDeclarationSyntax>().FirstOrDefault(m => m.Identifier.ValueText == "Dispose" && m.ParameterList.Parameters.Count == 0);
        if (dispose?.Body is { } body)
        {
            editor.ReplaceNode(body, body.AddStatements(statements.ToArray()).WithAdditionalAnnotations(Formatter.Annotation));
            return;
        }

        if (dispose?.ExpressionBody is { } arrow)
        {
            StatementInsertion.InsertAfter(editor, arrow.Expression, statements);
            return;
        }

        var method = ((MethodDeclarationSyntax)SyntaxFactory.ParseMemberDeclaration("public void Dispose() { }")!)
            .WithBody(SyntaxFactory.Block(statements))
            .WithLeadingTrivia(SyntaxFactory.EndOfLine(System.Environment.NewLine))
            .WithAdditionalAnnotations(Formatter.Annotation);
        editor.AddMember(owner, method);
        editor.AddInterfaceType(owner, SyntaxFactory.ParseTypeName("global::System.IDisposable").WithAdditionalAnnotations(Simplifier.Annotation));
    }
}
