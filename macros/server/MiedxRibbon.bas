Attribute VB_Name = "MiedxRibbon"
Option Explicit

' The server add-in's one ribbon callback (customUI14.xml). No Python on this PC:
' RunServerPython (xlwings' Remote module, BSD part of the wheel) posts the
' workbook's values to the server and runs the actions of its answer.
' SERVER_URL is written by "miedx-xl addin build --server URL"; a SERVER_URL line
' in %USERPROFILE%\.miedx\miedx.conf overrides it. AUTH in that file is the
' division's key ("Bearer ..."), issued by the secretariat.
Public Const SERVER_URL As String = "http://localhost:8000"

Function MiedxServerUrl() As String
    Dim url As String
    url = CStr(GetConfig("SERVER_URL", "", "user"))
    If url = "" Then url = SERVER_URL
    If Right(url, 1) = "/" Then url = Left(url, Len(url) - 1)
    MiedxServerUrl = url
End Function

Public Sub OnAction(control As IRibbonControl)
    If control.Id = "page" Then
        ThisWorkbook.FollowHyperlink MiedxServerUrl() & "/"
        Exit Sub
    End If
    If ActiveWorkbook Is Nothing Then Exit Sub
    ' Only the user's own settings file may say where the key goes.
    RunServerPython MiedxServerUrl() & "/xlwings/" & control.Id, _
        auth:=CStr(GetConfig("AUTH", "", "user")), timeout:=30000
End Sub
