Attribute VB_Name = "MiedxRibbon"
Option Explicit

' The one callback of every ribbon button (customUI14.xml): the button's id
' names a function in miedx_xl.xl.BUTTONS, so a new button needs no new VBA.
' RunPython comes from the xlwings module, which the build takes from the
' installed xlwings wheel.
Public Sub OnAction(control As IRibbonControl)
    RunPython "import miedx_xl.xl as x; x.dispatch('" & control.Id & "')"
End Sub
