Attribute VB_Name = "MiedxServer"
Option Explicit

' Actions of our own that the server sends besides xlwings' (setRangeColor,
' setValues, sheetDelete, addHyperlink, activateSheet, alert). RunServerPython
' runs each one as Application.Run action("func"), wb, action; action("args")
' is 1-based here. See miedx_xl/server/remote.py.

' Add a worksheet in front of all others: args(1) = its name.
Sub miedxAddSheetFirst(wb As Workbook, action As Dictionary)
    Dim ws As Worksheet
    Set ws = wb.Worksheets.Add(Before:=wb.Worksheets(1))
    ws.Name = action("args")(1)
End Sub

' Put a note on a cell: args(1) = address, args(2) = text, args(3) = our prefix.
' A note of someone else's (not starting with the prefix) is left as it is.
Sub miedxSetNote(wb As Workbook, action As Dictionary)
    Dim cell As Range
    Dim prefix As String
    Set cell = GetRange(wb, action)
    prefix = action("args")(3)
    If cell.Comment Is Nothing Then
        cell.AddComment CStr(action("args")(2))
        cell.Comment.Shape.Width = 320
        cell.Comment.Shape.Height = 160
    ElseIf Left(cell.Comment.Text, Len(prefix)) = prefix Then
        cell.Comment.Text Text:=CStr(action("args")(2))
    End If
End Sub

' Remove a note, only if it starts with our prefix: args(2).
Sub miedxDeleteNote(wb As Workbook, action As Dictionary)
    Dim cell As Range
    Dim prefix As String
    Set cell = GetRange(wb, action)
    prefix = action("args")(2)
    If Not cell.Comment Is Nothing Then
        If Left(cell.Comment.Text, Len(prefix)) = prefix Then cell.Comment.Delete
    End If
End Sub

' Take a range's fill away (no colour).
Sub miedxClearFill(wb As Workbook, action As Dictionary)
    GetRange(wb, action).Interior.Pattern = xlNone
End Sub

' The result sheet's header: bold white text; args(1) = number of columns,
' args(2..) = their widths.
Sub miedxFormatResult(wb As Workbook, action As Dictionary)
    Dim rng As Range
    Dim i As Long
    Set rng = GetRange(wb, action)
    rng.Font.Bold = True
    rng.Font.Color = RGB(255, 255, 255)
    For i = 1 To action("args")(1)
        rng.Worksheet.Columns(i).ColumnWidth = action("args")(i + 1)
    Next i
End Sub
